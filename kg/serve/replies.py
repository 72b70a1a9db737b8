"""What the endpoint answers: a status, headers and a body; errors as JSON or text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus

from kg.core.errors import KgError, render_options

CHARSET = "; charset=utf-8"


#: Media types of the files the endpoint serves (package assets, the research site), by
#: file extension: a fixed table, not the system's mime.types.
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
}


@dataclass
class Reply:
    """What the handler sends: a status, headers and the body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Refusal(Exception):
    """An answer other than 200, raised anywhere and turned into an error reply."""

    def __init__(self, status: int, message: str, hint: str = "", line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.hint, self.line = status, message, hint, line


def error_reply(
    status: int,
    message: str,
    *,
    hint: str = "",
    line: int | None = None,
    text: bool = False,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A JSON error (or text/plain when `text`): a message, never a traceback."""
    message, hint = render_options(message), render_options(hint)
    if text:
        phrase = HTTPStatus(status).phrase
        body = f"{status} {phrase}: {message}\n" + (f"hint: {hint}\n" if hint else "")
        kind = "text/plain" + CHARSET
    else:
        doc: dict[str, object] = {"error": message, "status": status}
        if hint:
            doc["hint"] = hint
        if line:
            doc["line"] = line
        body = json.dumps(doc, ensure_ascii=False) + "\n"
        kind = "application/json"
    return Reply(status, {"Content-Type": kind, **(headers or {})}, body.encode("utf-8"))


def problem_reply(status: int, exc: KgError, text: bool = False) -> Reply:
    problem = exc.problems[0]
    return error_reply(status, problem.message, hint=problem.hint, line=problem.line, text=text)


def type_header(media_type: str) -> str:
    return media_type + ("" if media_type.endswith(("json", "n-triples")) else CHARSET)
