"""The codebook of the analyst tables: every variable with an English and a Chinese
label and its type, and the labels of the values of categorical variables.

Written next to the tables as `codebook.csv` (one row per variable, then one row per
value label) and `codebook.md` (a section per table), so a table read into R, Stata or
pandas can be understood without the graph. `.dta` files carry the English variable
labels themselves.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

# (table or "*", variable) -> (English label, Chinese label)
VARIABLES: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "case"): ("case id (case:<province>-b<batch>-<item>)", "案例编号"),
    ("*", "label_zh"): ("label in Chinese", "中文名称"),
    ("*", "label_en"): ("label in English", "英文名称"),
    ("*", "title_zh"): ("title of the case in Chinese", "案例标题（中文）"),
    ("*", "title_en"): ("title of the case in English", "案例标题（英文）"),
    ("*", "quote"): ("verbatim quote from the source text", "原文引文"),
    ("*", "region"): ("region of Guangdong (see value labels)", "广东省区域"),
    ("*", "code"): (
        "GB/T 2260 division code of the place, or of the county above a township",
        "行政区划代码（乡镇取所属县级代码）",
    ),
    ("*", "level"): ("level of government of the declaring body", "申报机关层级"),
    ("cases", "batch"): ("batch of the provincial selection", "评选批次"),
    ("cases", "batch_year"): ("year of the batch", "批次年份"),
    ("cases", "item"): ("item number of the case in the notice", "通知中的序号"),
    ("cases", "section"): ("section of the notice (category)", "通知中的类别"),
    ("cases", "body"): ("declaring congress body (id)", "申报机关编号"),
    ("cases", "body_zh"): ("declaring congress body", "申报机关"),
    ("cases", "place"): ("jurisdiction of the body (id)", "申报机关所辖地方编号"),
    ("cases", "place_zh"): ("jurisdiction of the body", "申报机关所辖地方"),
    ("cases", "prefecture"): ("prefecture-level city (id)", "地级市编号"),
    ("cases", "prefecture_zh"): ("prefecture-level city", "地级市"),
    ("cases", "start_year"): ("year the practice started, where stated", "做法开始年份（如有）"),
    ("cases", "n_mechanisms"): ("number of mechanisms tagged directly", "直接标注的机制数"),
    ("cases", "reason_zh"): ("reason for selection (入选理由), Chinese", "入选理由（中文）"),
    ("cases", "reason_en"): ("reason for selection, English translation", "入选理由（英译）"),
    ("case_mechanism", "mechanism"): ("mechanism id", "机制编号"),
    ("case_mechanism", "direct"): (
        "1 = tagged on the case; 0 = a broader concept of a tag",
        "1＝直接标注；0＝由下位概念上推",
    ),
    ("*", "family"): ("top concept (family) of the mechanism", "机制大类（顶层概念）"),
    ("mechanisms", "mechanism"): ("mechanism id", "机制编号"),
    ("mechanisms", "broader"): ("broader concept", "上位概念"),
    ("mechanisms", "cases"): (
        "cases using it or a narrower concept (as kg patterns counts)",
        "使用该机制或其下位机制的案例数",
    ),
    ("mechanisms", "cases_direct"): ("cases tagged with it directly", "直接标注的案例数"),
    ("case_actor", "actor"): ("actor id", "主体编号"),
    ("case_actor", "role"): ("role of the actor in the case", "主体在案例中的角色"),
    ("bodies", "body"): ("congress body id", "人大机关编号"),
    ("bodies", "body_zh"): ("name in Chinese", "名称"),
    ("bodies", "body_en"): ("name in English", "英文名称"),
    ("bodies", "type"): ("kind of body (class)", "机关类型"),
    ("bodies", "place"): ("jurisdiction (id)", "所辖地方编号"),
    ("bodies", "place_zh"): ("jurisdiction", "所辖地方"),
    ("bodies", "prefecture_zh"): ("prefecture-level city", "地级市"),
    ("bodies", "county_zh"): ("county-level division", "县级行政区"),
    ("bodies", "township_zh"): ("township-level division", "乡级行政区"),
    ("bodies", "cases"): ("cases declared", "申报案例数"),
    ("places", "place"): ("place id", "地方编号"),
    ("places", "code_is_own"): ("1 = code is the place's own; 0 = its county's", "1＝本地代码"),
    ("places", "rank"): ("1 province, 2 prefecture, 3 county, 4 township", "层级"),
    ("places", "parent"): ("the place it is part of", "上级地方"),
    ("places", "latitude"): ("latitude (WGS 84)", "纬度"),
    ("places", "longitude"): ("longitude (WGS 84)", "经度"),
    ("evidence", "subject"): ("what the claim is about", "陈述主体"),
    ("evidence", "property"): ("property claimed", "属性"),
    ("evidence", "object"): ("value claimed", "属性值"),
    ("evidence", "object_zh"): ("label of the value", "属性值名称"),
    ("evidence", "start"): ("start offset of the quote in the source (code points)", "起始位置"),
    ("evidence", "end"): ("end offset (exclusive)", "结束位置"),
    ("evidence", "source"): ("source document (its text is in sources/)", "来源文件"),
    ("quantities", "value"): ("number reported", "数值"),
    ("quantities", "unit"): ("unit", "单位"),
    ("quantities", "what_zh"): ("what is counted, Chinese", "计量对象"),
    ("quantities", "what_en"): ("what is counted, English", "计量对象（英文）"),
    ("quantities", "year"): ("year of the number, where stated", "年份"),
}


@dataclass
class DataTable:
    """One table: its name, column names, rows of Python values (None: missing), and the
    labels of its columns and of the values of its categorical columns."""

    name: str
    columns: list[str]
    rows: list[list[object]]
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (en, zh)
    values: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def to_dataframe(self):
        """The table as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


HEADER = ["table", "variable", "type", "label_en", "label_zh", "value", "value_en", "value_zh"]


def kind_of(values: list[object]) -> str:
    """The type a reader will see: binary, integer, number or string."""
    present = [v for v in values if v is not None and v != ""]
    if present and all(isinstance(v, bool | int) for v in present):
        return "binary" if set(present) <= {0, 1} else "integer"
    if present and all(isinstance(v, int | float) for v in present):
        return "number"
    return "string"


def codebook_rows(tables: list[DataTable]) -> list[list[str]]:
    rows = []
    for table in tables:
        for i, column in enumerate(table.columns):
            en, zh = table.labels.get(column, ("", ""))
            kind = kind_of([row[i] for row in table.rows])
            rows.append([table.name, column, kind, en, zh, "", "", ""])
            for value, (ven, vzh) in sorted(table.values.get(column, {}).items()):
                rows.append([table.name, column, "", "", "", value, ven, vzh])
    return rows


def codebook_csv(tables: list[DataTable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(codebook_rows(tables))
    return buffer.getvalue().encode("utf-8")


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def codebook_markdown(tables: list[DataTable]) -> bytes:
    out = [
        "# Codebook / 变量说明",
        "",
        "Ids are prefixed names (`case:gd-b3-05`); expand a prefix with the namespaces in",
        "`context.jsonld`. Empty cells are missing values. Every file is UTF-8.",
        "",
        "In `case_mechanism_matrix`, `d_*` columns are the mechanisms tagged on a case",
        "directly (1/0); `f_*` columns are the families (top concepts of the mechanism",
        "vocabulary), 1 when the case uses the family or any concept under it: the count",
        "`kg patterns` reports (e.g. `f_liaison_station` counts every kind of liaison",
        "station). `case_mechanism` is the same in long form: `direct` = 1 for a tag,",
        "0 for a broader concept it rolls up to.",
        "",
        "`code` is text in .dta and Parquet; in CSV read it as text too",
        '(`read.csv(..., colClasses = c(code = "character"))`,',
        '`pd.read_csv(..., dtype={"code": str})`). Years with gaps read as floats in',
        "pandas unless read as `Int64`.",
        "",
    ]
    for table in tables:
        out += [f"## {table.name}", "", f"{len(table.rows)} rows.", ""]
        out += ["| variable | type | label | 说明 |", "|---|---|---|---|"]
        for i, column in enumerate(table.columns):
            en, zh = table.labels.get(column, ("", ""))
            kind = kind_of([row[i] for row in table.rows])
            out.append(f"| `{column}` | {kind} | {_md(en)} | {_md(zh)} |")
        for column, values in sorted(table.values.items()):
            out += ["", f"Values of `{column}`:", ""]
            out += [f"- `{v}`: {_md(en)} / {_md(zh)}" for v, (en, zh) in sorted(values.items())]
        out.append("")
    return ("\n".join(out) + "\n").encode("utf-8")
