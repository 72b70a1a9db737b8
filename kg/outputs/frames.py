"""The analyst tables as Stata `.dta` and Parquet files.

Both need the optional extra `tables` (pandas and pyarrow: `pip install
'renda-kg[tables]'`); without it the caller gets a message saying so, and CSV (which
needs nothing) still works. Column types come from the values, as in the codebook:
whole numbers stay integers (missing values are Stata's `.` and Parquet's null),
everything else is text, with missing text as "" in Stata (it has no missing string)
and null in Parquet. Files are deterministic: Stata's time stamp is the `stamp` passed
in, and Parquet is written without statistics that vary between writers.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem
from kg.outputs.codebook import kind_of

if TYPE_CHECKING:
    from kg.outputs.codebook import DataTable

STATA_LABEL = 80  # characters of a variable or data label
STATA_STR = 2045  # bytes of a fixed-width string; longer ones become strL


def _require(fmt: str):
    """pandas (and pyarrow for Parquet), or a message naming the extra to install."""
    try:
        import pandas as pd

        if fmt == "parquet":
            import pyarrow  # noqa: F401
    except ImportError as exc:
        raise KgError(
            Problem(
                f"the {fmt} format",
                f"needs the optional packages pandas and pyarrow ({exc.name} is missing)",
                hint="install them with: pip install 'renda-kg[tables]' (or export csv, "
                "which needs nothing)",
            )
        ) from None
    return pd


def _columns(table: DataTable) -> dict[str, tuple[str, list[object]]]:
    """Each column's kind (integer, number or string) and values."""
    out = {}
    for i, column in enumerate(table.columns):
        values = [row[i] for row in table.rows]
        kind = kind_of(values)
        if kind == "binary":
            kind = "integer"
        if kind == "string":
            values = [None if v is None or v == "" else str(v) for v in values]
        out[column] = (kind, values)
    return out


def dta_bytes(table: DataTable, stamp: dt.datetime) -> bytes:
    """A Stata 118 file (Unicode) with the English variable labels of the codebook."""
    pd = _require("dta")
    data, strl = {}, []
    for column, (kind, values) in _columns(table).items():
        if kind == "integer":
            data[column] = pd.array(values, dtype="Int32" if _fits32(values) else "Int64")
        elif kind == "number":
            data[column] = pd.array(values, dtype="Float64")
        else:
            texts = ["" if v is None else v for v in values]
            data[column] = pd.array(texts, dtype=object)
            if any(len(t.encode("utf-8")) > STATA_STR for t in texts):
                strl.append(column)
    frame = pd.DataFrame(data, columns=table.columns)
    labels = {c: table.labels.get(c, ("", ""))[0][:STATA_LABEL] for c in table.columns}
    buffer = io.BytesIO()
    _writer()(
        buffer,
        frame,
        write_index=False,
        version=118,
        byteorder="little",
        variable_labels={c: v for c, v in labels.items() if v},
        data_label=f"renda-kg {table.name}"[:STATA_LABEL],
        time_stamp=stamp,
        convert_strl=strl,
    ).write_file()
    return buffer.getvalue()


def _writer():
    from pandas.io.stata import StataWriterUTF8

    from kg.outputs.tables import STATA_RESERVED

    class Writer(StataWriterUTF8):
        """pandas also refuses Mata's keywords (`case`, `end`, ...), which Stata accepts
        as variable names, and would rename them `_case`: the .dta would then disagree
        with the CSV and the codebook. Only Stata's own reserved names are refused."""

        def _check_column_names(self, data):
            self.RESERVED_WORDS = set(STATA_RESERVED)
            return super()._check_column_names(data)

    return Writer


def _fits32(values: list[object]) -> bool:
    present = [v for v in values if v is not None]
    return all(-(2**31) + 28 < int(v) < 2**31 - 28 for v in present)  # Stata's long range


def parquet_bytes(table: DataTable) -> bytes:
    """A Parquet file; the codebook's labels ride along as column metadata."""
    _require("parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}
    fields, arrays = [], []
    for column, (kind, values) in _columns(table).items():
        en, zh = table.labels.get(column, ("", ""))
        meta = {b"label_en": en.encode("utf-8"), b"label_zh": zh.encode("utf-8")}
        fields.append(pa.field(column, kinds[kind], metadata=meta))
        arrays.append(pa.array(values, type=kinds[kind]))
    schema = pa.schema(fields, metadata={b"table": table.name.encode()})
    buffer = io.BytesIO()
    pq.write_table(
        pa.Table.from_arrays(arrays, schema=schema),
        buffer,
        compression="zstd",
        write_statistics=False,
    )
    return buffer.getvalue()
