"""The research site (`kg site`'s folder) served read-only under /site/.

The site works from file:// too; served, its pages keep their own Content-Security-Policy
(a meta element) and get the same one as a header. Only regular files inside the folder
are answered: no listing, no dot files, no link that leads outside.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from kg.serve.replies import MEDIA_TYPES, Refusal, Reply

SITE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
KINDS = ("html", "css", "js", "json", "svg", "png", "txt")  # what a site is made of


def site_file(folder: Path, path: str, max_bytes: int) -> Reply:
    """The reply for `path` (what follows /site/ in the URL) from the site `folder`."""
    rel = unquote(path)
    parts = [p for p in rel.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        raise Refusal(404, "no such page")
    target = folder.joinpath(*parts)
    if not parts or rel.endswith("/"):
        target = target / "index.html"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        raise Refusal(404, "no such page", hint="see /site/ for the case list") from None
    kind = real.suffix.removeprefix(".")
    if not real.is_relative_to(folder) or not real.is_file() or kind not in KINDS:
        raise Refusal(404, "no such page", hint="see /site/ for the case list")
    if real.stat().st_size > max_bytes:
        raise Refusal(500, f"{real.name} is over the reply limit of {max_bytes} bytes")
    headers = {"Content-Type": MEDIA_TYPES[kind], "X-Content-Type-Options": "nosniff"}
    if real.suffix == ".html":
        headers |= {"Content-Security-Policy": SITE_CSP, "Referrer-Policy": "no-referrer"}
    return Reply(200, headers, real.read_bytes())
