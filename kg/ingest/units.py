"""Numbers, quantities and years in Chinese text; declaring units → bodies and places.

Everything here works on the normalised copy of a notice (`NoticeText.norm`), whose
offsets are those of the original text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from kg.sources.places import Place

# -- Chinese numerals --

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL = "〇零一二两三四五六七八九十百千万亿"


def cn_int(text: str) -> int:
    """A Chinese (一百二十三, 两千, 二〇二〇) or Arabic numeral as an int."""
    if text.isdigit():
        return int(text)
    if text and all(ch in _DIGITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))  # 二〇二〇 = 2020
    total = section = number = 0
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _SMALL:
            section += (number or 1) * _SMALL[ch]
            number = 0
        elif ch in _BIG:
            total += (section + number) * _BIG[ch]
            section = number = 0
        else:
            raise ValueError(f"not a numeral: {text!r}")
    return total + section + number


def cn_ordinal(n: int) -> str:
    """1 → 一, 12 → 十二: the numerals used in 一是, 二是, ... and 项目十二."""
    units = "一二三四五六七八九"
    if not 1 <= n <= 99:
        raise ValueError(f"no Chinese ordinal for {n} here (1-99)")
    if n < 10:
        return units[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else units[tens - 1]) + "十" + (units[ones - 1] if ones else "")


# -- Years --

_START_YEAR = re.compile(r"(?:自|从)?((?:19|20)\d\d)年(?:以来|起|开始|至今)")
_YEAR = re.compile(r"((?:19|20)\d\d)年")


@dataclass(frozen=True)
class YearMatch:
    """A 'since YEAR' phrase: the year and the phrase's offsets."""

    year: int
    start: int
    end: int
    rule: str


def find_start_year(norm: str, start: int, end: int) -> YearMatch | None:
    """The first 'since YEAR' phrase (自2018年以来, 从2019年起, 2018年以来) in a span."""
    m = _START_YEAR.search(norm, start, end)
    if not m:
        return None
    return YearMatch(int(m.group(1)), m.start(), m.end(), "start-year-regex")


# -- Quantities --

_QUANTITY = re.compile(
    r"(?:(?P<lo>\d+)\s*[-~至到]\s*)?"
    r"(?P<num>\d+(?:\.\d+)?|[〇零一二两三四五六七八九十百千]+)"
    r"(?P<approx>余|多)?"
    r"(?P<mult>万|亿)?"
    r"(?P<unit>人次|元|人|名|件|个|场|次|项|年|%)"
    r"(?P<more>以上)?"
)
_PERCENT_CN = re.compile(r"百分之(?P<num>[〇零一二两三四五六七八九十百]+|\d+(?:\.\d+)?)")
_SCALE = re.compile(r"百分制")
UNIT_OF = {
    "人次": "person-time",
    "人": "person",
    "名": "person",
    "件": "item",
    "项": "item",
    "个": "item",
    "场": "event",
    "次": "event",
    "元": "CNY",
    "年": "year",
    "%": "percent",
}
_CLAUSE_END = ",;。!?:\n\r"
_MARKER = re.compile(r"\s*(?:[一二三四五六七八九十]+是|\(?[一二三四五六七八九十]+\)|\d+[.、])")


@dataclass(frozen=True)
class QuantityMatch:
    """A number with a unit found in the text, before it becomes a record's QuantityClaim."""

    value: int | float
    unit: str
    what: str
    year: int | None
    start: int  # the quote
    end: int
    rule: str


def clause_bounds(norm: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """The clause around [start, end): between punctuation marks, within [lo, hi)."""
    a = start
    while a > lo and norm[a - 1] not in _CLAUSE_END:
        a -= 1
    b = end
    while b < hi and norm[b] not in _CLAUSE_END:
        b += 1
    marker = _MARKER.match(norm, a, b)
    if marker and marker.end() <= start:
        a = marker.end()
    while a < start and norm[a].isspace():
        a += 1
    while b > end and norm[b - 1].isspace():
        b -= 1
    return a, b


def _clean_what(text: str) -> str:
    text = re.sub(
        r"(?:19|20)\d\d年|\d+年来|皆为|均为|为|和|共|累计|达到|达|约|已|[\"'“”‘’]", "", text
    )
    return text.strip(" ()")


def find_quantities(norm: str, lo: int, hi: int) -> list[QuantityMatch]:
    """Numbers with units in norm[lo:hi]: 200万元 → 2,000,000 CNY, 三项 → 3 item, ..."""
    out: list[QuantityMatch] = []
    for m in _QUANTITY.finditer(norm, lo, hi):
        unit_text, num_text = m.group("unit"), m.group("num")
        after = norm[m.end() : m.end() + 16]
        before = norm[max(lo, m.start() - 1) : m.start()]
        chinese = not num_text[0].isdigit()
        if before and (before.isdigit() or before in CN_NUMERAL):
            continue  # the tail of a longer number the regex could not take
        try:
            value: int | float = float(num_text) if "." in num_text else cn_int(num_text)
        except ValueError:
            continue
        if chinese and value < 2:
            continue  # 一是, 一个, 一次性, 一票否决: words, not counts
        if unit_text == "年":
            if m.group("mult") or after[:1] in ("来", "起", "底", "初", "度", "内", "前", "后"):
                continue  # 3年来, 2018年起: a period or a date, not a count
            if 1949 <= value <= 2100 and not chinese:
                continue  # a calendar year
        if unit_text == "个" and after[:1] in ("月", "人"):
            continue  # 两个月, 个人
        if unit_text in ("次", "个") and m.group("mult"):
            continue
        if unit_text == "元":
            value *= {"万": 10_000, "亿": 100_000_000}.get(m.group("mult") or "", 1)
        elif m.group("mult"):
            value *= _BIG[m.group("mult")]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        unit = UNIT_OF[unit_text]
        if unit_text == "个":
            noun = re.match(r"[^,;。!?:\s]{0,14}", after).group(0)
            unit = "station" if "站" in noun else "group" if "组" in noun else "item"
        if unit_text == "个" and after[:1] == "一":
            tail_end = m.end() + 1  # 五个一: a slogan naming five items
            label = norm[m.start() : tail_end]
            out.append(
                QuantityMatch(value, unit, label, None, m.start(), tail_end, "quantity-regex")
            )
            continue
        c_start, c_end = clause_bounds(norm, m.start(), m.end(), lo, hi)
        tail = re.match(r"[^,;。!?:\s、和及与]{0,12}", norm[m.end() : c_end]).group(0)
        what = _clean_what(tail) or _clean_what(norm[c_start : m.start()]) or m.group(0)
        first_year = _YEAR.search(norm, c_start, m.start())
        q_start = first_year.start() if first_year else c_start
        if m.start() - q_start > 20:
            q_start = m.start() - 12
            cut = max(norm.rfind("的", q_start, m.start()), norm.rfind("、", q_start, m.start()))
            q_start = cut + 1 if cut != -1 else q_start
        q_end = min(c_end, m.end() + len(tail))
        rule = "quantity-regex"
        if m.group("lo"):
            rule += f" (range {m.group('lo')}-{num_text}: upper bound)"
        elif m.group("approx") or m.group("more"):
            rule += f" (approximate: {m.group('approx') or m.group('more')})"
        years = [int(y) for y in _YEAR.findall(norm, c_start, m.start())]
        years = [y for y in years if y != value]
        for year in years or [None]:
            out.append(QuantityMatch(value, unit, what[:40], year, q_start, q_end, rule))
    for m in _PERCENT_CN.finditer(norm, lo, hi):
        c_start, c_end = clause_bounds(norm, m.start(), m.end(), lo, hi)
        what = _clean_what(norm[c_start : m.start()]) or m.group(0)
        num = m.group("num")
        percent = float(num) if num[0].isdigit() else cn_int(num)
        rule = "quantity-regex (百分之)"
        out.append(QuantityMatch(percent, "percent", what[:40], None, c_start, c_end, rule))
    if scale := _SCALE.search(norm, lo, hi):  # 百分制: scored on a 100-point scale
        c_start, c_end = clause_bounds(norm, scale.start(), scale.end(), lo, hi)
        q_start = max(c_start, scale.start() - 12)
        q_end = min(c_end, scale.end() + 8)
        what = "百分制评分(满分100分)"
        out.append(QuantityMatch(100, "point", what, None, q_start, q_end, "scale-百分制"))
    return sorted(out, key=lambda q: (q.start, q.end, q.unit, q.year or 0))


# -- Declaring units: body type and place --

BODY_SUFFIXES = (
    "人民代表大会常务委员会",
    "人大常务委员会",
    "人大常委会",
    "常委会",
    "人大工作委员会",
    "工作委员会",
    "人大工委",
    "工委",
    "人大主席团",
    "人民代表大会",
    "人大",
)
_ORGAN = re.compile("|".join(map(re.escape, sorted(BODY_SUFFIXES, key=len, reverse=True))))
_STREET = re.compile(r"(?:工作委员会|工委)$")
_SHORTENABLE = re.compile(r"^(.{2,})(?:市|区|县)$")
_TOWN_AHEAD = ("镇", "乡", "街道", "村", "社区")
_TOWNSHIP = re.compile(r"(?:人民代表大会|人大|人大主席团)$")
_COUNTY = re.compile(r"(?:人民代表大会常务委员会|人大常务委员会|人大常委会|常委会)$")
_TOWN_SUFFIX = re.compile(r"(街道办事处|街道|民族乡|镇|乡)$")
_PROVINCE_CODES = {
    "11": "bj", "12": "tj", "13": "he", "14": "sx", "15": "nm", "21": "ln", "22": "jl",
    "23": "hl", "31": "sh", "32": "js", "33": "zj", "34": "ah", "35": "fj", "36": "jx",
    "37": "sd", "41": "ha", "42": "hb", "43": "hn", "44": "gd", "45": "gx", "46": "hi",
    "50": "cq", "51": "sc", "52": "gz", "53": "yn", "54": "xz", "61": "sn", "62": "gs",
    "63": "qh", "64": "nx", "65": "xj", "71": "tw", "81": "hk", "82": "mo",
}  # fmt: skip


def province_slug(code: str) -> str:
    """ISO 3166-2:CN subdivision code in lower case: 440000 → gd."""
    return _PROVINCE_CODES.get(code[:2], "cn")


@dataclass(frozen=True)
class NewPlace:
    """A town or street neither places.yaml nor the township table has: the curator adds
    it to places.yaml under its pinyin key."""

    key: str
    name: str
    parent: str
    kind: str

    def yaml_line(self) -> str:
        fields = f'name: {self.name}, en: TODO, parent: "{self.parent}", kind: {self.kind}'
        return f"{self.key}: {{{fields}}}"


@dataclass
class UnitResolution:
    """What a declaring unit's name says: body type, place key, and how that was found."""

    type: str | None
    place: str | None
    rules: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_place: NewPlace | None = None
    province: str | None = None  # the province code the place lies in
    ambiguous: bool = False


def _parent_of(code: str) -> str | None:
    if code.endswith("0000"):
        return None
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


def _under(code: str, parent: str) -> bool:
    if parent.endswith("0000"):
        return code[:2] == parent[:2] and code != parent
    if parent.endswith("00"):
        return code[:4] == parent[:4] and code != parent
    return False


def town_slug(name: str) -> str:
    """A readable ASCII key part for a town the township table lacks: its pinyin without
    tones (新铺 → xinpu), letters and digits kept, anything else dropped."""
    from pypinyin import lazy_pinyin

    parts = [p.lower() for p in lazy_pinyin(name, errors=lambda chars: list(chars))]
    slug = "".join(ch for ch in "".join(parts) if ch.isascii() and ch.isalnum())
    return slug or "town"


class PlaceIndex:
    """Division names of the GB/T 2260 table and the towns (township table and curated),
    for resolving units.

    Full names (佛山市, 禅城区) are matched first; short names (佛山, 禅城) only count
    when nothing longer matches, never right before 镇/乡/街道, and only inside the
    notice's province. Town names repeat across counties: a town is looked up inside its
    county, or by a name unique in the table.
    """

    def __init__(self, table: dict[str, tuple], towns: dict[str, Place]):
        self.table = table
        self.towns = towns
        self.towns_by_name: dict[str, list[str]] = {}
        for key, place in sorted(towns.items()):
            self.towns_by_name.setdefault(place.name, []).append(key)
        self.by_name: dict[str, list[str]] = {}
        self.short: dict[str, list[str]] = {}
        for code, row in sorted(table.items()):
            name = row[0]
            if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                continue
            self.by_name.setdefault(name, []).append(code)
            short = _SHORTENABLE.match(name)
            if short and not code.endswith("0000"):
                self.short.setdefault(short.group(1), []).append(code)
        for name in self.by_name:
            self.short.pop(name, None)
        self.lengths: dict[str, list[int]] = {}
        for name in (*self.by_name, *self.short):
            self.lengths.setdefault(name[0], []).append(len(name))
        for first, lens in self.lengths.items():
            self.lengths[first] = sorted(set(lens), reverse=True)

    def _names_at(self, text: str, pos: int) -> list[tuple[str, list[str], bool]]:
        """(name, codes, is_short) for the division names `text` has at `pos`."""
        out = []
        for n in self.lengths.get(text[pos : pos + 1], []):
            name = text[pos : pos + n]
            if name in self.by_name:
                out.append((name, self.by_name[name], False))
            elif name in self.short and not text.startswith(_TOWN_AHEAD, pos + n):
                out.append((name, self.short[name], True))
        return out

    def names_at_full(self, text: str, pos: int) -> list[str]:
        """Full division names (not short forms) that `text` has at `pos`."""
        return [name for name, _, short in self._names_at(text, pos) if not short]

    def _chains(
        self, text: str, pos: int, parent: str | None, province: str | None
    ) -> list[tuple[list[str], int]]:
        """Every consistent chain of division codes starting at `pos` (with end offset)."""
        results: list[tuple[list[str], int]] = []
        for name, codes, is_short in self._names_at(text, pos):
            for code in codes:
                if parent is not None and not _under(code, parent):
                    continue
                if is_short and (province is None or code[:2] != province[:2]):
                    continue
                end = pos + len(name)
                results += [([code, *c], e) for c, e in self._chains(text, end, code, province)]
                results.append(([code], end))
        return results

    def chain(self, text: str, province: str | None) -> tuple[list[str], int, list[list[str]]]:
        """The best chain of codes at the start of `text`, its length, and the alternatives.

        Longer matches win; among equals, chains inside `province` win, then deeper
        ones (a county with its prefecture). Several chains left → ambiguous.
        """
        found = self._chains(text, 0, None, province)
        if not found:
            return [], 0, []
        best_end = max(end for _, end in found)
        chains = [c for c, end in found if end == best_end]
        if province:
            chains = [c for c in chains if c[-1][:2] == province[:2]] or chains
        deepest = max(len(c) for c in chains)
        unique = sorted({tuple(c) for c in chains if len(c) == deepest})
        return list(unique[0]), best_end, [list(c) for c in unique]


def body_type_of(unit: str) -> tuple[str | None, str]:
    """The body type a unit's name ends with, and the rule that says so."""
    if _STREET.search(unit):
        return "street-working-committee", "body-suffix:工委"
    if _COUNTY.search(unit):
        return "county-standing-committee", "body-suffix:人大常委会"
    if _TOWNSHIP.search(unit):
        return "township-congress", "body-suffix:镇/乡人大"
    return None, "body-suffix:none"


def resolve_unit(unit: str, index: PlaceIndex, province: str | None) -> UnitResolution:
    """Body type and place key of a declaring unit such as 广州市番禺区人大常委会沙头街道工委."""
    unit = re.sub(r"\s+", "", unit)
    body_type, type_rule = body_type_of(unit)
    result = UnitResolution(body_type, None, [type_rule])
    if body_type is None:
        result.warnings.append(
            f"{unit!r} does not end with a known body (人大常委会, 镇人大, 乡人大, 街道工委)"
        )
    place_text = _ORGAN.sub("", unit)
    codes, used, alternatives = index.chain(place_text, province)
    tail = place_text[used:]
    if len(alternatives) > 1:
        names = ", ".join("/".join(c) for c in alternatives)
        result.warnings.append(f"{unit!r}: the place name is ambiguous ({names})")
        result.ambiguous = True
        codes = []
    county = codes[-1] if codes else None
    if county:
        result.province = county[:2] + "0000"
        complete = _parent_of(codes[0]) is None or len(codes) > 1 or codes[0].endswith("00")
        result.rules.append("division-chain" if complete else "division-unique-name")
    town_match = _TOWN_SUFFIX.search(tail)
    if body_type in ("township-congress", "street-working-committee") or town_match:
        if not tail:
            result.warnings.append(f"{unit!r}: no town or street name before the body")
            return result
        if not town_match:
            result.warnings.append(f"{unit!r}: {tail!r} is not a town (镇/乡) or street (街道)")
            return result
        kind = {"街道办事处": "street", "街道": "street", "乡": "township", "民族乡": "township"}
        kind_of = kind.get(town_match.group(1), "town")
        name = tail.removesuffix("办事处")
        found = [
            key
            for key in index.towns_by_name.get(name, [])
            if county is None or index.towns[key].parent == county
        ]
        if county is None and province:
            found = [k for k in found if index.towns[k].parent[:2] == province[:2]] or found
        if len(found) == 1:
            town = index.towns[found[0]]
            result.place = found[0]
            result.rules.append("curated-town" if town.origin == "curated" else "town-table")
            result.province = town.parent[:2] + "0000"
            return result
        if len(found) > 1:
            names = ", ".join(f"{k} ({index.towns[k].parent})" for k in found)
            result.warnings.append(f"{unit!r}: {tail!r} is the name of several towns: {names}")
            result.ambiguous = True
            return result
        if county is None:
            result.warnings.append(f"{unit!r}: the county of {tail!r} is not named or not found")
            return result
        base = tail[: town_match.start()] or tail
        key = f"{county}-{town_slug(base)}"
        result.place = key
        result.new_place = NewPlace(key, tail, county, kind_of)
        result.rules.append("new-town")
        return result
    if tail:
        result.warnings.append(f"{unit!r}: {tail!r} was not recognised as a place")
    if county is None:
        if not result.ambiguous:
            result.warnings.append(f"{unit!r}: no division of the GB/T 2260 table found")
        return result
    result.place = county
    return result


def majority_province(resolutions: list[UnitResolution]) -> str | None:
    """The province most units lie in."""
    counts = Counter(r.province for r in resolutions if r.province)
    return counts.most_common(1)[0][0] if counts else None
