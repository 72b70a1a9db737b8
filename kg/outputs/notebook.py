"""A view as a pyvis `Network`, for notebooks.

pyvis's `add_node` and `add_edge` look for duplicates in lists, so a view of n nodes
costs O(n²) to add (../shared/MEASUREMENTS.md). A view's nodes and edges are unique
already: they are set on the network directly, with the index pyvis keeps beside them.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyvis.network import Network

    from kg.outputs.views import View

_NODE_KEYS = ("id", "group", "color", "shape", "value", "x", "y", "level")
_REMOTE = re.compile(
    r'<link\s[^>]*href="https://[^"]*"[^>]*/>\s*|<script\s[^>]*src="https://[^"]*"[^>]*>\s*</script>\s*'
)


@functools.cache
def _offline_templates():
    """pyvis's template without what it loads from CDNs (bootstrap, whatever the choice
    of resources): a notebook may be offline, and nothing we write fetches from the web."""
    import pyvis
    from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader

    folder = Path(pyvis.__file__).parent / "templates"
    text = _REMOTE.sub("", (folder / "template.html").read_text(encoding="utf-8"))
    return Environment(
        loader=ChoiceLoader([DictLoader({"template.html": text}), FileSystemLoader(folder)])
    )


def to_pyvis(view: View, *, lang: str = "zh", height: str = "640px", **options) -> Network:
    """`view` as a pyvis Network with its JavaScript inline (no CDN), labels in `lang`.

    pyvis writes a tooltip as HTML as soon as one of them contains "href"; then every
    tooltip is escaped, so that a label is always shown as text.
    """
    from pyvis.network import Network

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    net = Network(height=height, width="100%", cdn_resources="in_line", **options)
    net.templateEnv, net.path = _offline_templates(), "template.html"
    net.template = net.templateEnv.get_template(net.path)
    as_html = any("href" in n.get(f"title_{lang}", "") for n in view.nodes)

    def tip(item: dict) -> str:
        text = item.get(f"title_{lang}", "")
        return html.escape(text) if as_html else text

    net.nodes = [
        {
            **{k: n[k] for k in _NODE_KEYS if k in n},
            "label": n.get(f"label_{lang}", n["id"]),
            "title": tip(n),
        }
        for n in view.nodes
    ]
    net.node_ids = [n["id"] for n in net.nodes]
    net.node_map = {n["id"]: n for n in net.nodes}
    net.edges = [
        {
            "from": e["from"],
            "to": e["to"],
            "title": tip(e),
            **({"width": e["width"]} if "width" in e else {}),
        }
        for e in view.edges
    ]
    net.toggle_physics(view.physics)
    return net
