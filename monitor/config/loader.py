"""Reading YAML files into plain data, with errors that name the file and line."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from monitor.config.errors import ConfigError, ConfigProblem

# Where each key and list item of a file starts: ("sources", 2, "interval") → line 14 (1-based).
Lines = dict[tuple[str | int, ...], int]

_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def not_found(what: str, path: Path) -> str:
    """`file not found`, naming where a relative path was looked for (the command's working directory)."""
    return f"{what} not found" if path.is_absolute() else f"{what} not found (looked in {Path.cwd()})"


class _Loader(yaml.SafeLoader):
    """yaml.safe_load's loader, but a key given twice in one mapping is an error (PyYAML keeps the last one
    silently), and a value its constructors reject (`2026-02-30`, `!!int x`) is named by its line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError) as exc:
            value = getattr(node, "value", "")
            shown = f" {value!r}" if isinstance(value, str) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"bad value{shown}: {exc or type(exc).__name__}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[tuple[str, str], yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = (key_node.tag, key_node.value)
            if key in first:
                line = first[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key_node.value!r} (first given on line {line})",
                    key_node.start_mark,
                )
            first[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


def _lines(root: yaml.Node | None) -> Lines:
    """The line of every key and list item (each node visited once, so aliases cannot blow it up)."""
    out: Lines = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    out.setdefault((*path, key_node.value), key_node.start_mark.line + 1)
                    stack.append((value, (*path, key_node.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                out.setdefault((*path, i), item.start_mark.line + 1)
                stack.append((item, (*path, i)))
    return out


def read_yaml_lines(path: Path) -> tuple[Any, Lines]:
    """Parse one YAML file, with the line of each key and item; errors become a ConfigProblem naming the
    line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), "", not_found("file", path))]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem(str(path), "", "is a directory, not a YAML file")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"cannot read: {exc.strerror}")]) from None
    try:
        return _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise ConfigError([ConfigProblem(str(path), where, f"{kind}: {problem}")]) from None
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # deep nesting exhausts the stack; anything else a constructor raises outside construct_object
        message = f"YAML value error: {exc}" if str(exc) else f"YAML value error: {type(exc).__name__}"
        raise ConfigError([ConfigProblem(str(path), "", message)]) from None


def _parse(text: str) -> tuple[Any, Lines]:
    loader = _Loader(text)  # reading starts here: a control character is already an error
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), _lines(node)
    finally:
        loader.dispose()


def path_parts(path: str) -> tuple[str | int, ...]:
    """`sources[2].interval` → ("sources", 2, "interval")."""
    return tuple(int(index) if index else key for index, key in _PATH_PART.findall(path))


def with_lines(problems: list[ConfigProblem], lines: dict[str, Lines]) -> list[ConfigProblem]:
    """Each problem with the line of the nearest key or item of its path that the file has, read from the
    top of each file down (files in the order their first problem was found; a problem of the whole file or
    of a missing key, which has no line, first)."""
    out: list[ConfigProblem] = []
    for p in problems:
        known, parts = lines.get(p.file), path_parts(p.path)
        while known and parts and p.line is None:
            if parts in known:
                p = replace(p, line=known[parts])
            parts = parts[:-1]
        out.append(p)
    files = {f: rank for rank, f in enumerate(dict.fromkeys(p.file for p in out))}
    return sorted(out, key=lambda p: (files[p.file], p.line or 0))
