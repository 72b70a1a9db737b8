"""A strict, safe YAML loader for hand-edited records.

PyYAML follows YAML 1.1, where `NO` is false and `010` is 8. Here only `true`/`false`
are booleans, integers are plain decimals (no leading zeros), everything else stays a
string; duplicate keys, aliases and tags are refused. Mappings remember the line of
each key so that errors can point at it.
"""

from __future__ import annotations

import functools
import pickle
import re
from pathlib import Path
from typing import Any

import yaml

from kg.core.errors import KgError, Problem
from kg.core.textio import read_utf8

#: The largest YAML file read (bytes): a record or a metadata file is a few kilobytes.
MAX_YAML = 8 * 1024**2
_KEPT_MAX = 1024**2  # longer texts are parsed each time, not kept (`_parsed`)


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


class _Refused(Exception):
    """The fast path met something the strict loader must judge (and word) itself."""


def _check_tree(root: yaml.Node) -> None:
    """Refuse what libyaml composes without complaint: aliases (a node reached twice) and
    tags outside the plain YAML types. Iterative, so an alias bomb stops at the first repeat."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or node.tag not in _ALLOWED_TAGS:
            raise _Refused
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _FastLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's parser with the strict loader's resolvers and constructors."""

        yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
        yaml_constructors = _StrictLoader.yaml_constructors
        construct_mapping = _construct_mapping

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _fast_load(text: str) -> Any:
    """Parse with `_FastLoader` (5x faster); any doubt -> _Refused."""
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node)
        return loader.construct_document(node)
    except Exception:  # errors are worded (and located) by the strict loader below
        raise _Refused from None
    finally:
        loader.dispose()


@functools.lru_cache(maxsize=128)
def _parsed(text: str) -> bytes:
    """What `text` parses to, pickled: each caller gets its own copy (10-20x faster than
    parsing again). Kept by the text, so a project copied elsewhere, or one read again
    by an ingest after its build, is not parsed twice; a text that fails is not kept."""
    if yaml.__with_libyaml__:
        try:
            return pickle.dumps(_fast_load(text), pickle.HIGHEST_PROTOCOL)
        except (_Refused, RecursionError):
            pass
    value = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def load_yaml(path: Path) -> Any:
    """Parse `path` strictly; a `KgError` names file, line and what to fix.

    Valid records take libyaml's C parser when PyYAML has it; whatever that path refuses
    or doubts is parsed again by the pure-Python strict loader, which raises the error.
    A text parsed before in this process is not parsed again (`_parsed`).
    """
    text = read_utf8(path, limit=MAX_YAML).removeprefix("\ufeff")
    parse = _parsed if len(text) <= _KEPT_MAX else _parsed.__wrapped__
    try:
        return pickle.loads(parse(text))
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
