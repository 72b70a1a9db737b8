"""Errors meant for people: where the problem is, what is wrong, and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding: a location (file, line, field), a message and a hint for the fix."""

    file: str
    message: str
    field: str = ""
    line: int | None = None
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        text = f"{where}: {self.field + ': ' if self.field else ''}{self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


class KgError(Exception):
    """A failure the user can fix; the CLI prints it without a traceback and exits 1."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
