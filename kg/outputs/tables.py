"""Tidy tables for R, Stata and pandas, with the codebook that explains them.

What an analyst reads straight into a data frame, each table one unit of observation:

    cases                  one row per case: batch, year, section, level, place, prefecture, region
    case_mechanism         one row per case and mechanism: direct tags (direct = 1) and the
                           broader concepts they roll up to (direct = 0), with the family
    case_mechanism_matrix  one row per case: d_* = tagged directly (0/1); f_* = uses the
                           family (top concept) or any concept under it (0/1), the count that
                           `kg patterns` reports
    case_actor             one row per case, actor and role (leads, supports, supervised, ...)
    mechanisms, bodies, places, evidence, quantities

Ids are prefixed names (`case:gd-b3-05`, `place:440100`): short, always read as text
(a bare code such as 440100 is read as a number), and the same in every table and in
SPARQL. Categorical columns (section, level, region) hold plain words whose labels are in
the codebook. Column names are safe for Stata (at most 32 characters of a-z, 0-9 and _,
starting with a letter), R's `read.csv` and pandas. `code` is the GB/T 2260 code of the
place or, for a township (which has none), of the county above it: always present, so a
CSV reader sees six digits in every row (never a float with gaps), and typed formats
(.dta, Parquet) store it as text, an identifier rather than a quantity.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kg.analysis.networks import compact_id, load_case_mechanisms
from kg.outputs.codebook import VARIABLES, DataTable

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

STATA_LIMIT = 32
# The names Stata reserves ([U] 11.3): a variable cannot be called so
STATA_RESERVED = frozenset(
    {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n"}
    | {"_N", "_pi", "_pred", "_rc", "_skip", "str", "strL", "using", "with"}
)


def stata_name(text: str, taken: set[str]) -> str:
    """A name Stata, R and pandas all accept, unique among `taken` (which it joins).

    Hyphens become underscores; a name over 32 characters loses letters from its longest
    words first (`d_satisfaction_evaluation_by_deputies` -> `d_satisfac_evaluatio_by_deputies`),
    so that it stays readable; a clash gets a number.
    """
    base = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.lower())).strip("_")
    if not base or not base[0].isalpha():
        base = "v_" + base
    words = base.split("_")
    while len("_".join(words)) > STATA_LIMIT and max(len(w) for w in words) > 3:
        longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
        words[longest] = words[longest][:-1]
    name = "_".join(words)[:STATA_LIMIT]
    candidate, n = name, 2
    while candidate in taken or candidate in STATA_RESERVED:
        suffix = f"_{n}"
        candidate, n = name[: STATA_LIMIT - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def _word(iri: object) -> str:
    """A categorical value as a plain word: rkg:CountyLevel -> county, cat:x -> x."""
    if not iri:
        return ""
    local = compact_id(iri).split(":", 1)[-1]
    return local.removesuffix("Level").lower() if local.endswith("Level") else local


def _value_labels(kg: QueryGraph, iris: set[str]) -> dict[str, tuple[str, str]]:
    """(en, zh) labels of categorical values, keyed by their plain word."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = kg.query(
        f"""SELECT ?x ?zh ?en WHERE {{
          VALUES ?x {{ {values} }}
          OPTIONAL {{ ?x rdfs:label|skos:prefLabel ?zh FILTER(lang(?zh) = "zh") }}
          OPTIONAL {{ ?x rdfs:label|skos:prefLabel ?en FILTER(lang(?en) = "en") }}
        }} ORDER BY ?x ?zh ?en""",
        timeout=None,
        where="value labels",
    ).rows
    out: dict[str, tuple[str, str]] = {}
    for iri, zh, en in rows:
        out.setdefault(_word(iri), (str(en or ""), str(zh or "")))
    return out


def _rows(kg: QueryGraph, name: str) -> list[dict]:
    return kg.select(name).dicts()


def cases_table(kg: QueryGraph) -> DataTable:
    data = load_case_mechanisms(kg)
    rows, categorical = [], {"section": set(), "level": set(), "region": set()}
    for r in _rows(kg, "cases"):
        case = compact_id(r["case"])
        for key, iri in (
            ("section", r["category"]),
            ("level", r["level"]),
            ("region", r["region"]),
        ):
            if iri:
                categorical[key].add(str(iri))
        rows.append(
            [
                case,
                compact_id(r["batch"]),
                _int(r["batch_year"]),
                r["item"],
                _word(r["category"]),
                _word(r["level"]),
                r["title_zh"],
                r["title_en"],
                compact_id(r["body"]),
                r["body_zh"],
                compact_id(r["place"]),
                r["place_zh"],
                compact_id(r["prefecture"]) or None,
                r["prefecture_zh"],
                _word(r["region"]) or None,
                _code(r["code"]),
                _int(r["start_year"]),
                len(data.uses.get(case, ())),
                r["reason_zh"],
                r["reason_en"],
            ]
        )
    columns = [
        "case", "batch", "batch_year", "item", "section", "level", "title_zh", "title_en",
        "body", "body_zh", "place", "place_zh", "prefecture", "prefecture_zh", "region",
        "code", "start_year", "n_mechanisms", "reason_zh", "reason_en",
    ]  # fmt: skip
    values = {k: _value_labels(kg, v) for k, v in categorical.items()}
    return DataTable("cases", columns, rows, values=values)


def _code(value: object) -> str | None:
    """A division code as text: an identifier, not a quantity (Stata and Parquet keep it a
    string; in CSV it is six digits, which no reader turns into a float)."""
    return str(value) if value not in (None, "") else None


def _int(value: object) -> int | None:
    """A year, code or count as a whole number (gYear and string codes come as text)."""
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def mechanism_tables(kg: QueryGraph) -> list[DataTable]:
    """case_mechanism (long), case_mechanism_matrix (wide) and mechanisms."""
    data = load_case_mechanisms(kg)
    direct, rolled = data.incidence(expanded=False), data.incidence(expanded=True)
    long_rows = []
    for case in sorted(data.uses):
        for mech in sorted(data.expanded(case)):
            zh, en = (
                data.mechanism_attrs.get(mech, {}).get(k, "") for k in ("label_zh", "label_en")
            )
            family = data.families(mech)[0]
            long_rows.append([case, mech, int(mech in data.uses[case]), family, zh, en])
    case_mechanism = DataTable(
        "case_mechanism",
        ["case", "mechanism", "direct", "family", "label_zh", "label_en"],
        long_rows,
    )
    families = sorted({m for m in rolled.items if not data.broader.get(m)})
    taken = {"case"}
    columns, labels = ["case"], {}
    for prefix, items, what in (("d_", direct.items, "direct"), ("f_", families, "family")):
        for mech in items:
            name = stata_name(prefix + mech.split(":", 1)[-1], taken)
            zh, en = (
                data.mechanism_attrs.get(mech, {}).get(k, mech) for k in ("label_zh", "label_en")
            )
            if what == "direct":
                labels[name] = (f"tagged directly: {en} ({mech})", f"直接标注：{zh}")
            else:
                labels[name] = (
                    f"family, rolled up: {en} ({mech})",
                    f"机制大类（含下位概念）：{zh}",
                )
            columns.append(name)
    position_d = {m: j for j, m in enumerate(direct.items)}
    position_f = {m: j for j, m in enumerate(rolled.items)}
    matrix_rows = []
    for i, case in enumerate(direct.cases):
        row = [case] + [int(direct.matrix[i, position_d[m]]) for m in direct.items]
        row += [int(rolled.matrix[i, position_f[m]]) for m in families]
        matrix_rows.append(row)
    matrix = DataTable("case_mechanism_matrix", columns, matrix_rows, labels=labels)
    counts_rolled, counts_direct = rolled.counts(), direct.counts()
    mech_rows = []
    for r in _rows(kg, "mechanism-hierarchy"):
        mech = compact_id(r["mechanism"])
        mech_rows.append(
            [
                mech,
                r["label_zh"],
                r["label_en"],
                compact_id(r["broader"]) or None,
                data.families(mech)[0],
                counts_rolled.get(mech, 0),
                counts_direct.get(mech, 0),
            ]
        )
    mechanisms = DataTable(
        "mechanisms",
        ["mechanism", "label_zh", "label_en", "broader", "family", "cases", "cases_direct"],
        _first_per_key(mech_rows),
    )
    return [case_mechanism, matrix, mechanisms]


def _first_per_key(rows: list[list[object]]) -> list[list[object]]:
    """One row per first column (a concept under two broader ones keeps the first)."""
    seen: dict[object, list[object]] = {}
    for row in rows:
        seen.setdefault(row[0], row)
    return list(seen.values())


def case_actor_table(kg: QueryGraph) -> DataTable:
    rows = sorted(
        {
            (compact_id(r["source"]), compact_id(r["target"]), _role(r["relation"]),
             r["target_zh"] or "", r["target_en"] or "")
            for r in _rows(kg, "network-edges")
            if r["target_kind"] == "actor"
        }
    )  # fmt: skip
    return DataTable(
        "case_actor",
        ["case", "actor", "role", "label_zh", "label_en"],
        [list(r) for r in rows],
        values={
            "role": {
                "leads": ("leads", "牵头/领导"),
                "supports": ("supports", "支持"),
                "participates": ("participates", "参与"),
                "evaluates": ("evaluates", "评价"),
                "supervised": ("is supervised", "被监督"),
            }
        },
    )


_ROLES = {
    "hasLeadingActor": "leads",
    "hasSupportingActor": "supports",
    "hasParticipatingActor": "participates",
    "hasEvaluatingActor": "evaluates",
    "supervises": "supervised",
}


def _role(relation: str) -> str:
    return _ROLES.get(relation, relation)


def simple_table(
    kg: QueryGraph, name: str, query: str, ids: tuple[str, ...], words: tuple[str, ...] = ()
) -> DataTable:
    """A library query's rows with its id columns as prefixed names and its categorical
    columns as plain words."""
    table = kg.select(query)
    rows = []
    for r in table.dicts():
        rows.append(
            [
                _word(v) if k in words else compact_id(v) if k in ids and v else v
                for k, v in r.items()
            ]
        )
    return DataTable(name, list(table.variables), rows)


def bodies_table(kg: QueryGraph, codes: dict[str, str | None]) -> DataTable:
    """Bodies, with the code of their place (a township's county code, as in places)."""
    table = simple_table(kg, "bodies", "bodies", ("body", "type", "place"), ("level",))
    at_code, at_place = table.columns.index("code"), table.columns.index("place")
    for row in table.rows:
        row[at_code] = codes.get(str(row[at_place]))
    return table


def places_table(kg: QueryGraph) -> DataTable:
    rows = []
    own = {}
    raw = _rows(kg, "places")
    for r in raw:
        own[str(r["place"])] = r["code"]
    for r in raw:
        code = r["code"] or own.get(str(r["parent"]))
        rows.append(
            [
                compact_id(r["place"]),
                r["label_zh"],
                r["label_en"],
                _code(code),
                int(bool(r["code"])),
                r["rank"],
                compact_id(r["parent"]) or None,
                _word(r["region"]) or None,
                r["latitude"],
                r["longitude"],
            ]
        )
    columns = [
        "place", "label_zh", "label_en", "code", "code_is_own", "rank", "parent", "region",
        "latitude", "longitude",
    ]  # fmt: skip
    return DataTable("places", columns, rows)


def analyst_tables(kg: QueryGraph) -> list[DataTable]:
    """Every table of `kg export --format csv|dta|parquet`, labelled from the codebook."""
    tables = [cases_table(kg), *mechanism_tables(kg), case_actor_table(kg)]
    places = places_table(kg)
    tables += [bodies_table(kg, {row[0]: row[3] for row in places.rows}), places]
    tables.append(
        simple_table(kg, "evidence", "claims", ("subject", "property", "object", "source"))
    )
    tables.append(simple_table(kg, "quantities", "quantities", ("case",)))
    shared = tables[0].values  # the cases' value labels serve every table
    for table in tables:
        for column in ("level", "region", "section"):
            if column in table.columns and column not in table.values and column in shared:
                table.values[column] = shared[column]
    places.values["rank"] = {
        "1": ("province", "省级"),
        "2": ("prefecture-level city", "地级"),
        "3": ("county-level division", "县级"),
        "4": ("township-level division", "乡级"),
    }
    for table in tables:
        for column in table.columns:
            known = VARIABLES.get((table.name, column)) or VARIABLES.get(("*", column))
            if column not in table.labels and known:
                table.labels[column] = known
    return tables
