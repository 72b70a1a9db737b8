"""A notice read strictly, and same-length copies of it for matching.

Offsets everywhere in ingest index the exact decoded text (`NoticeText.text`), as the
record format demands. Parsing and tagging run on `norm` and `match`, copies of the
same length in which each character was replaced by at most one other character:
Traditional → Simplified (OpenCC t2s), full-width ASCII → ASCII, 「」『』 → “”‘’, and, in
`match` only, every quotation mark → one ASCII form. So an offset found in a copy is an
offset into the original, and every quote is `text[start:end]`.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.textio import check_input, read_bytes, read_utf8

MAX_LINE = 200_000  # characters; a longer line is not a notice but a dump
MAX_BYTES = 20_000_000

# Frequent characters that exist only in Traditional script (their Simplified forms differ).
_TRADITIONAL_ONLY = frozenset(
    "會屆項單報縣鄉區們為與這個機關經號監體實現導聯絡選議務處認辦廣東門時說發來對開動國學長業"
    "開設與評價產幹權專傳應當屬黨員難題過條問題歲進點寫讓幫華鎮級準"
)
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
# Kangxi radicals (⼈ U+2F08 for 人, ...), common in text copied out of PDFs: NFKC maps each
# to one ideograph, so matching sees 人 while offsets and quotes keep the original.
KANGXI = {
    cp: ord(nfkc)
    for cp in [*range(0x2E80, 0x2EF4), *range(0x2F00, 0x2FD6)]
    if len(nfkc := unicodedata.normalize("NFKC", chr(cp))) == 1 and nfkc != chr(cp)
}
_NORM = str.maketrans(
    {
        **_FULLWIDTH,
        **KANGXI,
        0x3000: " ",  # ideographic space
        0x00A0: " ",
        0xFEFF: " ",  # a BOM counts as a character (offsets keep it) but means nothing
        0x200B: " ",
        "「": "“",
        "」": "”",
        "『": "‘",
        "』": "’",
        "﹕": ":",
        "︰": ":",
    }
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    start: int  # first character of the content
    end: int  # end of the content, without the line break


@dataclass
class NoticeText:
    """The exact text of a notice file plus its same-length matching copies."""

    path: Path
    raw: bytes
    text: str
    norm: str
    match: str
    traditional: bool
    lines: list[Line] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def line_of(self, offset: int) -> int:
        """The 1-based line number holding `offset`."""
        return bisect.bisect_right(self._starts, offset)

    def strip(self, start: int, end: int) -> tuple[int, int]:
        """The span without surrounding whitespace (in the normalised copy)."""
        while start < end and self.norm[start].isspace():
            start += 1
        while end > start and self.norm[end - 1].isspace():
            end -= 1
        return start, end


def _problem(path: Path, message: str, hint: str = "", line: int | None = None) -> KgError:
    return KgError(Problem(str(path), message, line=line, hint=hint))


def _too_large(path: Path, size: int) -> KgError:
    return _problem(
        path,
        f"the file has {size:,} bytes; a notice has at most {MAX_BYTES:,}",
        "pass the text of one notice",
    )


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise _problem(path, "the notice is empty", "pass the text of a notice, saved as UTF-8")
    if len(data) > MAX_BYTES:
        raise _too_large(path, len(data))
    head = data[:65536]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    if b"\x00" in head or controls > len(head) // 100:
        raise _problem(
            path,
            "this is a binary file, not the text of a notice",
            "save the notice as plain UTF-8 text (copy the text out of the PDF or web page)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            return read_utf8(path)  # raises the general "not valid UTF-8" message
        raise _problem(
            path,
            "the text is not UTF-8; it looks GBK/GB18030-encoded",
            f"convert it first: iconv -f GB18030 -t UTF-8 {path.name} > {path.stem}.utf8.txt",
            line,
        ) from None


def _lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for number, chunk in enumerate(text.split("\n"), start=1):
        end = pos + len(chunk)
        content_end = end - 1 if chunk.endswith("\r") else end
        lines.append(Line(number, pos, content_end))
        pos = end + 1
    return lines


def looks_traditional(text: str) -> bool:
    """True when Traditional-only characters are frequent (not a stray name or two)."""
    hits = sum(1 for ch in text if ch in _TRADITIONAL_ONLY)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return hits >= 5 and hits * 50 >= cjk


@cache
def _t2s():
    try:
        import opencc
    except ImportError:
        raise KgError(
            Problem(
                "opencc",
                "the notice is in Traditional Chinese and the converter is not installed",
                hint="pip install opencc (OpenCC's own Python package)",
            )
        ) from None
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified, one character for one character.

    OpenCC converts phrases; when a line changes length (it almost never does for t2s),
    that line is converted character by character instead so offsets stay aligned.
    """
    converter = _t2s()
    out = []
    for chunk in text.split("\n"):
        simple = converter.convert(chunk)
        if len(simple) != len(chunk):
            simple = "".join(s if len(s := converter.convert(ch)) == 1 else ch for ch in chunk)
        out.append(simple)
    return "\n".join(out)


def normalise(text: str) -> str:
    """Full-width forms → ASCII and corner brackets → curly quotes; same length."""
    return text.translate(_NORM)


def match_form(text: str) -> str:
    """`normalise` plus one form of double and of single quotation mark (for labels)."""
    return normalise(text).translate(_QUOTES)


def read_notice(path: Path) -> NoticeText:
    """Read a notice strictly: a `KgError` for empty, binary, non-UTF-8 or huge input."""
    size = check_input(path, limit=None)  # a device or pipe is refused before any read
    if size > MAX_BYTES:
        raise _too_large(path, size)
    data = read_bytes(path, limit=MAX_BYTES)
    text = _decode(path, data)
    lines = _lines(text)
    for line in lines:
        if line.end - line.start > MAX_LINE:
            raise _problem(
                path,
                f"line {line.number} has {line.end - line.start:,} characters; "
                f"a notice line has at most {MAX_LINE:,}",
                "this is not a notice; check that the right file was passed",
                line.number,
            )
    traditional = looks_traditional(text)
    base = to_simplified(text) if traditional else text
    norm = normalise(base)
    match = norm.translate(_QUOTES)  # = match_form(base), computed once
    if not (len(norm) == len(match) == len(text)):  # pragma: no cover - guarded above
        raise AssertionError("normalisation changed the text length")
    notice = NoticeText(path, data, text, norm, match, traditional, lines)
    notice._starts = [line.start for line in lines]
    return notice


_SPACE = re.compile(r"\s+")


_ANY_QUOTE = str.maketrans({ch: '"' for ch in "“”„‘’'"})


def compact(text: str) -> str:
    """Text without whitespace and with one form of quotation mark, for comparisons."""
    return _SPACE.sub("", normalise(text).translate(_ANY_QUOTE))


# Page furniture left inside a line (a breadcrumb trail, next/previous links, byline
# fields, buttons): masked before matching, so 首页>监督工作>执法检查 names no inspection.
_FURNITURE = re.compile(
    r"(?:当前位置:\s*)?(?:网站首页|首页)\s*(?:[>›»/]+\s*[^\s>›»/|,。]{1,12}(?=[\s>›»/|,。]|$)\s*)+"
    r"|(?:上一篇|下一篇|相关阅读|相关新闻):[^|\n]{0,30}?(?=\s|\||$)"
    r"|(?<![\u4e00-\u9fff])(?:来源|责任编辑|编辑|作者|发布时间|发布日期|浏览次数|点击数|阅读次数):\s*[^\s|]{0,20}"
    r"|[【\[](?:打印本页|关闭窗口|打印|关闭|收藏|字体|字号)[^】\]]{0,12}[】\]]"
)
# Taiwan terms -> the mainland terms of the same length (a Traditional page may use either).
_REGIONAL = {
    "软体": "软件",
    "资讯": "信息",
    "网路": "网络",
    "数位": "数字",
    "视讯": "视频",
    "程式": "程序",
    "透过": "通过",
}
_REGIONAL_RE = re.compile("|".join(_REGIONAL))


def unfurnished(text: str) -> str:
    """`text` with page furniture blanked out by line breaks (offsets are kept; a
    pattern's gap never crosses a line break)."""
    return _FURNITURE.sub(lambda m: "\n" * len(m.group(0)), text)


def regional(text: str) -> str:
    """`text` with Taiwan terms read as the mainland terms of the same length."""
    return _REGIONAL_RE.sub(lambda m: _REGIONAL[m.group(0)], text)
