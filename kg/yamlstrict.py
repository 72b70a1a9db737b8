"""A strict, safe YAML loader for hand-edited records.

PyYAML follows YAML 1.1, where `NO` is false and `010` is 8. Here only `true`/`false`
are booleans, integers are plain decimals (no leading zeros), everything else stays a
string; duplicate keys, aliases and tags are refused. Mappings remember the line of
each key so that errors can point at it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kg.errors import KgError, Problem
from kg.textio import read_utf8


class LocatedDict(dict):
    """A dict that knows the 1-based line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class _StrictLoader(yaml.SafeLoader):
    pass


_StrictLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|false)$", "tf"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+$", "-+0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|)$", ["~", "n", ""]),
]:
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))

_ALLOWED_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


def _compose_node(self: _StrictLoader, parent: Any, index: Any) -> Any:
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()
        raise yaml.MarkedYAMLError(
            "while reading a record", None, "aliases (*name) are not allowed", event.start_mark
        )
    node = yaml.SafeLoader.compose_node(self, parent, index)
    if node is not None and node.tag not in _ALLOWED_TAGS:
        raise yaml.MarkedYAMLError(
            "while reading a record", None, f"tag {node.tag!r} is not allowed", node.start_mark
        )
    return node


def _construct_mapping(self: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = self.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                "while reading a mapping", None, f"key {key!r} must be text", key_node.start_mark
            )
        if key in result:
            raise yaml.MarkedYAMLError(
                "while reading a mapping",
                None,
                f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = self.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_StrictLoader.compose_node = _compose_node  # type: ignore[method-assign]
_StrictLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse `path` strictly; a `KgError` names file, line and what to fix."""
    text = read_utf8(path).removeprefix("\ufeff")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise KgError(
            Problem(
                str(path),
                f"invalid YAML: {exc.problem or exc.context}",
                line=line,
                hint="fix the YAML at that line; aliases, tags and duplicate keys are not allowed",
            )
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        raise KgError(
            Problem(
                str(path),
                f"invalid YAML: character U+{int(exc.character):04X} is not allowed in YAML",
                line=text.count("\n", 0, exc.position) + 1,
                hint="remove the control character (or write it as an escape in double quotes)",
            )
        ) from None
    except yaml.YAMLError as exc:
        raise KgError(Problem(str(path), f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise KgError(
            Problem(
                str(path),
                "invalid YAML: brackets or indentation are nested too deeply",
                hint="a record needs only a few levels of nesting",
            )
        ) from None
