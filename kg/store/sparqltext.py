"""One reading of a query's text, so that the text checked is the text that runs.

rdflib checks a query (`kg.store.sparql.prepare`) and another engine may run it. Where
two parsers read the same characters differently, a check on one says nothing about
the other: rdflib ends a `#` comment only at a line feed, while the SPARQL grammar and
Oxigraph also end it at a carriage return; rdflib expands `\\u` escapes anywhere (and
reads up to eight hex digits after a lower-case `\\u`), Oxigraph only inside strings
and IRIs. A comment or an escape could hide `SERVICE` from the check.

`canonical()` closes that class of difference instead of one character: it expands the
code-point escapes once (SPARQL 1.1, section 19.2), splits the text into the grammar's
lexical units, and writes it back with every comment blanked out, every line break a
`\\n` and every carriage return inside a long string written as the escape `\\r`.
What remains has no comments, no escapes of code points and one kind of line break,
so rdflib and the engine see the same units. Positions are kept: a blanked comment
becomes spaces, so errors still point at the right line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.core.errors import KgError, Problem

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LEFTOVER_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")
_ECHAR = r"\\[tbnrf\\\"']"
# Characters of names, numbers and operators: printable ASCII but for the ones that
# start other units, and the PN_CHARS of the grammar (letters of most scripts).
_CODE = (
    "!$-&(-;=-\\[\\]-z|~"  # ASCII 0x21-0x7E but # " ' < { } \\
    "\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff\u200c\u200d\u203f\u2040"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
# The lexical units that decide where comments, strings and IRIs are (SPARQL 1.1, 19.8).
_UNITS = re.compile(
    rf"""(?P<ws>[ \t\r\n]+)
    |(?P<comment>\#[^\r\n]*)
    |(?P<long>\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|{_ECHAR}))*\"\"\"
             |'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*''')
    |(?P<string>\"(?:[^\"\\\r\n]|{_ECHAR})*\"|'(?:[^'\\\r\n]|{_ECHAR})*')
    |(?P<iri><[^<>\"{{}}|^`\\\x00-\x20]*>)
    |(?P<brace>[{{}}])
    |(?P<code>(?:[{_CODE}]|\\[_~.\-!$&'()*+,;=/?\#@%])+)
    |(?P<lt><)
    """,
    re.VERBOSE,
)
_NAMES = {
    "\u3000": "an ideographic space (U+3000)",
    "\u00a0": "a no-break space (U+00A0)",
    "\ufeff": "a byte order mark (U+FEFF)",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
}


@dataclass(frozen=True)
class Unit:
    """One lexical unit: its kind (see `_UNITS`), its text and where it starts."""

    kind: str
    text: str
    start: int


def _expand(text: str) -> str:
    def expand(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise ValueError(match.group(0))
        return chr(code)

    return _CODEPOINT.sub(expand, text)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _fail(text: str, offset: int, message: str, hint: str, where: str, lines: int) -> KgError:
    line, col = _position(text, offset)
    return KgError(
        Problem(
            where,
            f"SPARQL syntax error: line {line - lines}, column {col}: {message}",
            line=line - lines,
            hint=hint,
        )
    )


def units(text: str, *, where: str = "query", prologue_lines: int = 0) -> list[Unit]:
    """The lexical units of `text` (escapes already expanded); a `KgError` where none fits."""
    out: list[Unit] = []
    pos = 0
    while pos < len(text):
        match = _UNITS.match(text, pos)
        if match is None:
            char = text[pos]
            if char in ("'", '"'):
                message, hint = "a string that does not end", "close the quotation marks"
            elif char == "\\":
                message, hint = "a backslash outside a string", "remove it or quote the text"
            else:
                name = _NAMES.get(char, f"the character {char!r} (U+{ord(char):04X})")
                message, hint = f"{name} is not allowed here", "use plain spaces and ASCII quotes"
            raise _fail(text, pos, message, hint, where, prologue_lines)
        kind = match.lastgroup or ""
        out.append(Unit(kind, match.group(0), pos))
        pos = match.end()
    return out


_BREAK_OR_CHAR = re.compile(r"\r\n?|\n|.", re.DOTALL)


def _blank(match: re.Match) -> str:
    return " " if len(match.group(0)) == 1 and match.group(0) not in "\r\n" else "\n"


def _written(unit: Unit) -> str:
    if unit.kind in ("ws", "comment"):  # spaces, and one \n for each \n, \r\n or lone \r
        return _BREAK_OR_CHAR.sub(_blank, unit.text)
    if unit.kind == "long":
        return unit.text.replace("\r", "\\r")
    return unit.text


def canonical(text: str, *, where: str = "query", prologue_lines: int = 0) -> str:
    """`text` as both parsers read it alike: escapes expanded, comments blanked, `\\n` only."""
    try:
        expanded = _expand(text)
    except ValueError as exc:
        raise KgError(
            Problem(where, f"SPARQL syntax error: {exc} is not a Unicode code point")
        ) from None
    leftover = _LEFTOVER_ESCAPE.search(expanded)
    if leftover:  # an escape that spelled another escape: ambiguous between engines
        raise _fail(
            expanded,
            leftover.start(),
            "an escape sequence that writes another escape sequence",
            "write the character itself",
            where,
            prologue_lines,
        )
    parts = units(expanded, where=where, prologue_lines=prologue_lines)
    return "".join(_written(unit) for unit in parts)


def with_row_limit(text: str, rows: int) -> str:
    """`text` (canonical) changed to return at most `rows` solutions: the outer LIMIT is
    lowered, or added before a final VALUES block or at the end. Subqueries keep theirs.

    Stores then stop evaluating, or sending, once they have enough rows (a remote
    endpoint sends at most that many instead of a whole result cut here).
    """
    parts = units(text)
    depth, limit_at, values_at = 0, None, None
    for i, unit in enumerate(parts):
        if unit.kind == "brace":
            depth += 1 if unit.text == "{" else -1
        elif depth == 0 and unit.kind == "code":
            word = unit.text.upper()
            if word == "LIMIT":
                limit_at = i
            elif word == "VALUES":
                values_at = i
    if limit_at is not None:
        number = next((u for u in parts[limit_at + 1 :] if u.kind != "ws"), None)
        if number is None or not number.text.isdigit():
            return text  # not a LIMIT clause the grammar accepts: let the parser say so
        if int(number.text) <= rows:
            return text
        return text[: number.start] + str(rows) + text[number.start + len(number.text) :]
    if values_at is not None:
        at = parts[values_at].start
        return f"{text[:at]}LIMIT {rows}\n{text[at:]}"
    return f"{text}\nLIMIT {rows}\n"
