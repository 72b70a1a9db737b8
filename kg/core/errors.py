"""Errors meant for people: where the problem is, what is wrong, and what to do.

The library speaks Python, the command line speaks flags. A message that refers to a
setting writes it with `option("max_rows")`: a Python caller reads `max_rows`, and the
CLI, which renders problems with its own table of flags, shows `--max-rows`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_OPTION = re.compile(r"\{option:(?P<name>[a-z_]+)(?:=(?P<value>[^{}]*))?\}")

#: Renders an option reference: (name, value or None) -> text.
OptionStyle = Callable[[str, "str | None"], str]


def option(name: str, value: object = None) -> str:
    """A reference to a setting inside a message, e.g. `option("timeout")`.

    With `value`, the reference shows a setting with its value: `allow_service=True` for
    Python, `--allow-service` on the command line.
    """
    return "{option:" + name + ("" if value is None else f"={value}") + "}"


# Settings that Python callers give as keyword arguments of their own (query parameters).
_BARE_IN_PYTHON = frozenset({"params"})


def python_style(name: str, value: str | None) -> str:
    if value is None:
        return name
    return value if name in _BARE_IN_PYTHON else f"{name}={value}"


def render_options(text: str, style: OptionStyle = python_style) -> str:
    """`text` with every `option(...)` reference rendered in `style`."""
    return _OPTION.sub(lambda m: style(m["name"], m["value"]), text)


@dataclass(frozen=True)
class Problem:
    """One finding: a location (file, line, field), a message and a hint for the fix.

    `file` names where the problem is: a file, a URL, or a setting (`option(...)`).
    """

    file: str
    message: str
    field: str = ""
    line: int | None = None
    hint: str = ""
    severity: str = "error"

    def render(self, style: OptionStyle = python_style) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        text = f"{where}: {self.field + ': ' if self.field else ''}{self.message}"
        text += f"\n    hint: {self.hint}" if self.hint else ""
        return render_options(text, style)

    def __str__(self) -> str:
        return self.render()


class KgError(Exception):
    """A failure the user can fix; the CLI prints it without a traceback and exits 1."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
