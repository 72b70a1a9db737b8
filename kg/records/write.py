"""The one YAML writer of records: case records, source metadata, draft metadata, manifests.

Every file the project writes in YAML comes from here, in the layout of the curated
records: block mappings, list entries indented under their key (`  - n: 1`), keys in the
order of `schema.LAYOUT`, and scalars as plain as the strict loader reads back unchanged
(`scalar`). Optional `# comment`s follow a field's line and `# header` lines open the file:
YAML ignores both, so a draft with `# rule:` / `# fill:` comments loads like the record.

    render_case(case, comments, header)   a schema `Case` (None -> TODO, see schema)
    render(mapping, comments, header)      any mapping: data/sources/*.yaml, *.draft.yaml, ...

Why not a YAML library's dumper: PyYAML writes U+0085 raw inside a quoted scalar, which
reads back as a space, so a quote would no longer match its source; and its layout is
not the curated one.
"""

from __future__ import annotations

import re
from typing import Any

from kg.records.schema import FULL, LAYOUT, PLACEHOLDER, Case, Span

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_RESOLVED = re.compile(
    r"^(?:[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|[-+]?[0-9][0-9_.eE+-]*|true|false|True|False|TRUE"
    r"|FALSE|yes|no|Yes|No|YES|NO|on|off|On|Off|ON|OFF|y|n|Y|N|null|Null|NULL|~|[-+]?\.inf|\.nan)$"
)
_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Not plain: characters YAML would escape, fold or strip, and ": " / " #" / a final ":".
_NOT_PLAIN = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    "|: | #|:$|^ | $"
)
_DEFAULT_FILL = "fill: a value the record format requires (data/cases/README.md)"


def _plain_ok(s: str) -> bool:
    return (
        bool(s) and s[0] not in _INDICATORS and not _NOT_PLAIN.search(s) and not _RESOLVED.match(s)
    )


def _double_quoted(s: str) -> str:
    out = []
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "\x85\u2028\u2029\ufeff" or _PRINTABLE.match(ch):
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def scalar(value: Any) -> str:
    """A YAML scalar that the strict loader reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if not re.fullmatch(r"-?\d+\.\d+", text):
            raise ValueError(f"cannot write the number {value!r} as a plain decimal")
        return text
    if isinstance(value, str):
        return value if _plain_ok(value) else _double_quoted(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


_PLAIN_KEY = re.compile(r"[A-Za-z_][\w.\[\]-]*")


def _key(key: str) -> str:
    """A mapping key: plain when it is a simple name (n, body.place, measures[0])."""
    return key if _PLAIN_KEY.fullmatch(key) else scalar(key)


def _with_comment(line: str, comment: str | None) -> str:
    if not comment:
        return line
    return f"{line}  # {comment.replace(chr(10), ' ').replace(chr(13), ' ')}"


def _emit(
    data: dict[str, Any],
    indent: int,
    path: str,
    comments: dict[str, str],
    lines: list[str],
    first_prefix: str | None = None,
    first_comment: str | None = None,
) -> None:
    for i, (key, value) in enumerate(data.items()):
        field = f"{path}.{key}" if path else key
        prefix = first_prefix if i == 0 and first_prefix is not None else " " * indent
        comment = comments.get(field)
        if i == 0 and first_comment:
            comment = f"{first_comment}; {comment}" if comment else first_comment
        if isinstance(value, dict) and value:
            lines.append(_with_comment(f"{prefix}{_key(key)}:", comment))
            _emit(value, indent + 2, field, comments, lines)
        elif isinstance(value, list) and value:
            lines.append(_with_comment(f"{prefix}{_key(key)}:", comment))
            for j, entry in enumerate(value):
                entry_path = f"{field}[{j}]"
                dash = " " * (indent + 2) + "- "
                if isinstance(entry, dict) and entry:
                    _emit(
                        entry,
                        indent + 4,
                        entry_path,
                        comments,
                        lines,
                        dash,
                        comments.get(entry_path),
                    )
                elif isinstance(entry, dict | list):
                    lines.append(
                        _with_comment(
                            dash + ("{}" if isinstance(entry, dict) else "[]"),
                            comments.get(entry_path),
                        )
                    )
                else:
                    lines.append(_with_comment(dash + scalar(entry), comments.get(entry_path)))
        elif isinstance(value, dict | list):
            lines.append(
                _with_comment(
                    f"{prefix}{_key(key)}: " + ("{}" if isinstance(value, dict) else "[]"),
                    comment,
                )
            )
        else:
            lines.append(_with_comment(f"{prefix}{_key(key)}: {scalar(value)}", comment))


def render(
    data: dict[str, Any], comments: dict[str, str] | None = None, header: list[str] | None = None
) -> str:
    """YAML of a mapping in the layout of the curated records, keys in the given order.

    `comments` maps a field path (`title`, `body.place`, `measures[0]`) to a comment for
    its line; `header` lines open the file as `# ...` comments.
    """
    lines = [f"# {h}" if h else "#" for h in header or []]
    _emit(data, 0, "", comments or {}, lines)
    return "\n".join(lines) + "\n"


# -- Case records --


def _span(span: Span) -> dict[str, Any]:
    return {"quote": span.quote, "start": span.start, "end": span.end}


class _Unknown(str):
    """The placeholder written for a value not known yet (told apart from a quote "TODO")."""


_TODO = _Unknown(PLACEHOLDER)


def _known(value: Any) -> Any:
    """A required value, or the placeholder while it is not known (None)."""
    return _TODO if value is None else value


def _given(key: str, text: str) -> dict[str, str]:
    """An optional text field: present only when it has a value."""
    return {key: text} if text else {}


def _laid_out(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """`values` in the key order of `LAYOUT[section]`; a key the layout lacks is a bug."""
    unknown = set(values) - set(LAYOUT[section])
    if unknown:  # pragma: no cover - the schema and this writer disagree
        raise AssertionError(f"{section or 'record'}: keys {sorted(unknown)} are not in LAYOUT")
    return {key: values[key] for key in LAYOUT[section] if key in values}


def case_mapping(case: Case) -> dict[str, Any]:
    """A case as plain data in the record layout; unknown required values are `TODO`."""
    record: dict[str, Any] = {"id": case.id, "source": case.source}
    if case.batch is not None:
        record["batch"] = case.batch
    if case.item is not None:
        record["item"] = case.item
    if case.evidence != FULL:
        record["evidence"] = case.evidence
    record |= {
        "category": _known(case.category),
        "title": _TODO
        if case.title is None
        else _laid_out("title", {**_span(case.title), "en": _known(case.title_en)}),
    }
    if case.category_inferred is not None:
        inferred = case.category_inferred
        record["category_inferred"] = _laid_out(
            "category_inferred", {"rule": inferred.rule, **_span(inferred.span)}
        )
    body = case.body
    record["body"] = (
        _TODO
        if body is None
        else _laid_out(
            "body",
            {
                **_span(body.span),
                **_given("en", body.en),
                "type": _known(body.type),
                "place": _known(body.place),
            },
        )
    )
    if case.start_year_span is not None:
        record["start_year"] = _laid_out(
            "start_year", {"year": _known(case.start_year), **_span(case.start_year_span)}
        )
    record["measures"] = (
        _TODO
        if case.measures is None
        else [
            _laid_out(
                "measures",
                {"n": m.n, "heading": m.heading, **_given("heading_en", m.heading_en)}
                | _span(m.span),
            )
            for m in case.measures
        ]
    )
    if case.selection_reason is not None:
        record["selection_reason"] = _laid_out(
            "selection_reason",
            {**_span(case.selection_reason), **_given("en", case.selection_reason_en)},
        )
    record["mechanisms"] = (
        _TODO
        if case.mechanisms is None
        else [_laid_out("mechanisms", {"id": c.id, **_span(c.span)}) for c in case.mechanisms]
    )
    record["actors"] = [
        _laid_out("actors", {"id": c.id, "role": _known(c.role or None), **_span(c.span)})
        for c in case.actors
    ]
    record["problems"] = [
        _laid_out("problems", {"label": p.label, **_given("en", p.en), **_span(p.span)})
        for p in case.problems
    ]
    record["platforms"] = [
        _laid_out(
            "platforms",
            {"name": p.name, **_given("en", p.en), "type": p.type, **_span(p.span)},
        )
        for p in case.platforms
    ]
    record["quantities"] = [
        _laid_out(
            "quantities",
            {"value": q.value}
            | ({"high": q.high} if q.high is not None else {})
            | {"unit": q.unit}
            | ({"qualifier": q.qualifier} if q.qualifier != "exact" else {})
            | {"what": q.what, **_given("what_en", q.what_en)}
            | ({"year": q.year} if q.year is not None else {})
            | ({"period": _laid_out("quantities.period", _span(q.period))} if q.period else {})
            | _span(q.span),
        )
        for q in case.quantities
    ]
    if case.other_sources:
        record["other_sources"] = [
            _laid_out(
                "other_sources",
                {"source": o.source}
                | ({"item": o.item} if o.item is not None else {})
                | {"evidence": o.evidence, "title": _span(o.title)}
                | ({"body": _span(o.body)} if o.body is not None else {}),
            )
            for o in case.other_sources
        ]
    return _laid_out("", record)


def _unknown_paths(data: Any, path: str = "") -> list[str]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _unknown_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _unknown_paths(v, f"{path}[{i}]")]
    return [path] if isinstance(data, _Unknown) else []


def render_case(
    case: Case, comments: dict[str, str] | None = None, header: list[str] | None = None
) -> str:
    """YAML of a case record in the curated layout (the bytes of data/cases/ID.yaml).

    A value not known yet (None, see `kg.records.schema`) is written `TODO` with its
    `# fill:` comment from `comments`, or a generic one when `comments` has none.
    """
    data = case_mapping(case)
    comments = dict(comments or {})
    for path in _unknown_paths(data):
        comments.setdefault(path, _DEFAULT_FILL)
    return render(data, comments, header)
