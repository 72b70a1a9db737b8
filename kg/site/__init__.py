"""The browsable research site (`kg site`): a page for every case, mechanism, body,
place, batch and source, a case list with facets, a county map and network views.

The stage sits between `outputs` (whose view data and page publishing it reuses) and
`serve` (which serves build/site at /site/).
"""

from __future__ import annotations

import importlib

#: `from kg.site import write_site` without importing every page module up front.
_LAZY = {"write_site": "kg.site.build", "SiteReport": "kg.site.build"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'kg.site' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
