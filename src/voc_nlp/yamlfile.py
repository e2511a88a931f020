"""YAML files an analyst edits (taxonomy, rule files), read with line numbers.

Mappings and lists come back as `LineMap` / `LineList`, which remember the
line of each key and item, so every problem can be reported as
`file:line: what is wrong`.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class LineMap(dict):
    line: int = 0
    key_lines: dict


class LineList(list):
    line: int = 0
    item_lines: list


# libyaml's parser when PyYAML has it (it reads the default pipeline's files
# several times faster at every start); same nodes, same line marks.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_SafeLoader):
    pass


class TextLineLoader(LineLoader):
    """Every plain scalar is a string: in a phrase list, `no`, `null` and `1.5` are words."""

    yaml_implicit_resolvers: dict = {}


def _construct_map(loader, node):
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader, node):
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def line_of(obj, key=None) -> int:
    """The line of `obj[key]`'s key (or of `obj` itself); 0 when unknown."""
    if key is not None and isinstance(obj, LineMap) and key in obj.key_lines:
        return obj.key_lines[key]
    return getattr(obj, "line", 0)


def read_yaml(path: Path, error: type[Exception], loader: type[LineLoader] = LineLoader, what: str = "file"):
    """The content of a YAML file (None when empty); a missing file or bad YAML raises
    `error("file:line: ...")`."""
    if not path.is_file():
        raise error(f"{what} not found: {path}")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        raise error(f"{where}: not valid YAML: {problem}" + (f" ({context})" if context else "")) from None
