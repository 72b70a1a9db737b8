"""The analyst tables as R, Stata and pandas read them, the codebook, and the networks
for Gephi: read back with the real readers (pandas, pyarrow, networkx) on the seed."""

from __future__ import annotations

import csv
import io
import re
import sys

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

from kg import KnowledgeGraph
from kg.cli import main
from kg.core.errors import KgError
from kg.outputs.export import render

NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")  # Stata's limit; also valid in R and pandas


@pytest.fixture(scope="module")
def kg(seed_auto) -> KnowledgeGraph:
    return seed_auto


@pytest.fixture(scope="module")
def csvs(kg) -> dict[str, bytes]:
    return render(kg, "csv")


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


def test_pandas_reads_every_table_with_string_ids_and_safe_names(csvs):
    tables = {n: _frame(d) for n, d in csvs.items() if n.endswith(".csv") and n != "codebook.csv"}
    assert len(tables) == 9
    for name, frame in tables.items():
        for column in frame.columns:
            assert NAME.fullmatch(column), (name, column)
        assert len(set(frame.columns)) == len(frame.columns), name
        for column in ("case", "mechanism", "body", "place", "actor", "prefecture"):
            if column in frame.columns:
                values = frame[column].dropna()
                assert pd.api.types.is_string_dtype(frame[column]) and len(values), (name, column)
                assert all(":" in v and "://" not in v for v in values), (name, column)
        if "code" in frame.columns:
            assert frame["code"].dtype.kind == "i", name  # six digits in every row, no NaN
    cases = tables["cases.csv"]
    assert cases["region"].notna().all() and cases["prefecture"].notna().all()
    assert cases["reason_en"].str.len().min() > 40 and cases["reason_zh"].notna().all()
    assert set(cases["region"]) <= {"pearl-river-delta", "east", "west", "north"}
    guangzhou = cases.loc[cases["case"] == "case:gd-b3-04"].iloc[0]  # Tianhe District
    assert guangzhou["prefecture"] == "place:440100" and guangzhou["prefecture_zh"] == "广州市"


def test_family_columns_sum_to_the_patterns_counts(kg, csvs):
    matrix = _frame(csvs["case_mechanism_matrix.csv"])
    recurring = {r["mechanism"]: r["count"] for r in kg.patterns().recurring}
    long = _frame(csvs["case_mechanism.csv"])
    tagged = long[(long["mechanism"] == "mech:liaison-station") & (long["direct"] == 1)]
    assert matrix["f_liaison_station"].sum() == recurring["mech:liaison-station"] >= 5
    assert matrix["d_liaison_station"].sum() == len(tagged)  # the general tag itself
    assert matrix["d_liaison_station"].sum() < matrix["f_liaison_station"].sum()
    families = [c for c in matrix.columns if c.startswith("f_")]
    assert len(families) >= 10
    mechanisms = _frame(csvs["mechanisms.csv"]).set_index("mechanism")
    for column in families:
        mech = "mech:" + column.removeprefix("f_").replace("_", "-")
        if mech in mechanisms.index:  # names cut to 32 characters do not map back
            assert matrix[column].sum() == mechanisms.loc[mech, "cases"], column
    stations = long[long["family"] == "mech:liaison-station"]["case"].nunique()
    assert stations == recurring["mech:liaison-station"] and set(long["direct"]) == {0, 1}


def test_the_codebook_describes_every_column(csvs):
    rows = list(csv.DictReader(io.StringIO(csvs["codebook.csv"].decode("utf-8"))))
    described = {(r["table"], r["variable"]) for r in rows if r["label_en"] and r["label_zh"]}
    for name, data in csvs.items():
        if name.endswith(".csv") and name != "codebook.csv":
            header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
            table = name.removesuffix(".csv")
            assert {(table, c) for c in header} <= described, table
    regions = {r["value"] for r in rows if r["table"] == "cases" and r["variable"] == "region"}
    assert "pearl-river-delta" in regions
    markdown = csvs["codebook.md"].decode("utf-8")
    assert "`f_liaison_station`" in markdown and "`reason_en`" in markdown


def test_stata_and_parquet_files_match_the_csv(kg, csvs):
    dta = render(kg, "dta")
    parquet = render(kg, "parquet")
    assert render(kg, "dta") == dta and render(kg, "parquet") == parquet  # deterministic
    for name in ("cases", "case_mechanism_matrix", "evidence", "places"):
        from_csv = _frame(csvs[f"{name}.csv"])
        stata = pd.read_stata(io.BytesIO(dta[f"{name}.dta"]))
        arrow = pd.read_parquet(io.BytesIO(parquet[f"{name}.parquet"]))
        assert list(stata.columns) == list(from_csv.columns) == list(arrow.columns), name
        assert len(stata) == len(from_csv) == len(arrow), name
    stata = pd.read_stata(io.BytesIO(dta["cases.dta"]))
    assert stata["code"].tolist() == [str(c) for c in _frame(csvs["cases.csv"])["code"]]
    with pd.io.stata.StataReader(io.BytesIO(dta["cases.dta"])) as reader:
        labels = reader.variable_labels()
    assert labels["reason_en"].startswith("reason for selection")
    arrow = pd.read_parquet(io.BytesIO(parquet["cases.parquet"]))
    assert arrow["start_year"].dtype == "int64" or arrow["start_year"].isna().any()


def test_typed_formats_say_which_extra_is_missing(kg, monkeypatch, tmp_path):
    graph = tmp_path / "kg.nq"
    (data,) = render(kg, "nq").values()
    graph.write_bytes(data)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    with pytest.raises(KgError, match=r"renda-kg\[tables\]"):
        render(kg, "parquet")
    result = CliRunner().invoke(
        main, ["export", "--graph", str(graph), "--format", "parquet", "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 1 and "pyarrow" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "p").exists()


def test_cooccurrence_and_similarity_networks_for_gephi(kg):
    (data,) = render(kg, "graphml", network_name="cooccurrence").values()
    co = nx.read_graphml(io.BytesIO(data))
    assert co.number_of_nodes() > 40 and all(d["weight"] >= 1 for *_, d in co.edges(data=True))
    assert co.nodes["mech:liaison-station-central"]["family"] == "mech:liaison-station"
    (data,) = render(kg, "gexf", network_name="similarity").values()
    similar = nx.read_gexf(io.BytesIO(data))
    assert similar.number_of_nodes() == 10 and similar.number_of_edges() > 10
    for _, attrs in similar.nodes(data=True):
        assert attrs["section"] and attrs["level"] and attrs["region"] and attrs["year"] == 2020
    assert all(0 < d["weight"] <= 1 for *_, d in similar.edges(data=True))
    (data,) = render(kg, "graphml").values()
    whole = nx.read_graphml(io.BytesIO(data))
    cases = _frame(render(kg, "csv")["cases.csv"]).set_index("case")
    for case, row in cases.iterrows():
        attrs = whole.nodes[case]
        assert (attrs["section"], attrs["level"], attrs["region"], attrs["year"]) == (
            row["section"],
            row["level"],
            row["region"],
            row["batch_year"],
        )
    assert whole.nodes["place:440106"]["level"] == "county"
    with pytest.raises(KgError, match="network"):
        render(kg, "graphml", network_name="nothing")


def test_the_python_api_gives_the_same_tables(kg, csvs):
    tables = kg.tables()
    names = {n.removesuffix(".csv") for n in csvs if n.endswith(".csv")}
    assert set(tables) == names - {"codebook"}
    frame = tables["case_mechanism_matrix"].to_dataframe()
    assert list(frame.columns) == list(_frame(csvs["case_mechanism_matrix.csv"]).columns)
    assert (
        frame["f_liaison_station"].sum()
        == _frame(csvs["case_mechanism_matrix.csv"])["f_liaison_station"].sum()
    )
    assert tables["cases"].labels["reason_en"][1] == "入选理由（英译）"
