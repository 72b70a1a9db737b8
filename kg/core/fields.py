"""Typed, located access to the fields of a parsed YAML mapping.

Every accessor names the file, line and field path in its error, and `done()` refuses
keys nobody asked for, so a typo such as `mechanisim:` is caught instead of ignored.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from typing import Any, NoReturn

from kg.core.errors import KgError, Problem

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MISSING = object()


def is_slug(value: str) -> bool:
    """Whether `value` is an id: lower-case letters and digits in hyphenated runs.

    (`fullmatch`, not `match` with `$`, which also accepts a final line feed.)
    """
    return _SLUG.fullmatch(value) is not None


def suggest(value: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint, or an empty string."""
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    return f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""


class Fields:
    """A view of one mapping in a file, at a dotted field path such as `mechanisms[2]`."""

    def __init__(self, data: Any, file: str, path: str = "", line: int | None = None):
        self.file = file
        self.path = path
        if not isinstance(data, dict):
            where = path or "the file"
            raise KgError(
                Problem(
                    file,
                    f"{where} must be a mapping of keys to values, found {type(data).__name__}",
                    path,
                    line,
                    "see data/cases/README.md for the record format",
                )
            )
        self.data = data
        self.line = getattr(data, "line", line)
        self._used: set[str] = set()

    def _field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def line_of(self, key: str) -> int | None:
        lines = getattr(self.data, "key_lines", {})
        return lines.get(key, self.line)

    def fail(self, key: str, message: str, hint: str = "") -> NoReturn:
        raise KgError(Problem(self.file, message, self._field(key), self.line_of(key), hint))

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self._used.add(key)
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                self.fail(key, "required field is missing", f"add `{key}:` to the record")
            return default
        return self.data[key]

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            self.fail(
                key,
                f"expected text, found {type(value).__name__} {value!r}",
                f'quote the value: {key}: "{value}"',
            )
        if not value.strip():
            self.fail(key, "must not be empty")
        return value

    def slug(self, key: str, default: Any = _MISSING) -> Any:
        value = self.text(key, default)
        if value is not default and not is_slug(value):
            self.fail(
                key,
                f"{value!r} is not a valid id",
                "use lower-case letters, digits and single hyphens, e.g. gd-b3-01",
            )
        return value

    def choice(self, key: str, choices: Iterable[str], default: Any = _MISSING) -> Any:
        options = sorted(choices)
        value = self.text(key, default)
        if value is not default and value not in options:
            hint = suggest(value, options) or f"one of: {', '.join(options)}"
            self.fail(key, f"unknown value {value!r}", hint)
        return value

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        value = self.get(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(
                key,
                f"expected a whole number, found {type(value).__name__} {value!r}",
                "write digits only, without quotes or leading zeros",
            )
        if minimum is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, found {value}")
        return value

    def number(self, key: str) -> int | float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(
                key,
                f"expected a number, found {type(value).__name__} {value!r}",
                "write a plain number: 100万元 is 1000000",
            )
        return value

    def date(self, key: str) -> str:
        value = self.text(key)
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):  # not 20201231, 2020-W01
                raise ValueError(value)
            dt.date.fromisoformat(value)
        except ValueError:
            self.fail(key, f"{value!r} is not a date", 'write it as "YYYY-MM-DD"')
        return value

    def sub(self, key: str) -> Fields:
        value = self.get(key)
        return Fields(value, self.file, self._field(key), self.line_of(key))

    def items(self, key: str, required: bool = True) -> list[Fields]:
        value = self.get(key, _MISSING if required else [])
        if not isinstance(value, list):
            self.fail(
                key,
                f"expected a list, found {type(value).__name__}",
                "start each entry with `- ` on its own line",
            )
        if required and not value:
            self.fail(key, "the list must not be empty")
        return [
            Fields(v, self.file, f"{self._field(key)}[{i}]", self.line_of(key))
            for i, v in enumerate(value)
        ]

    def done(self) -> None:
        """Refuse keys that no accessor read: they are typos or unsupported fields."""
        extra = [k for k in self.data if k not in self._used]
        if extra:
            key = extra[0]
            known = sorted(self._used)
            self.fail(
                key,
                f"unknown field {key!r}",
                suggest(key, known) or f"known fields here: {', '.join(known)}",
            )
