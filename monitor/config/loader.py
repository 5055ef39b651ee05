"""Reading YAML files into plain data, with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.config.errors import ConfigError, ConfigProblem


def not_found(what: str, path: Path) -> str:
    """`file not found`, naming where a relative path was looked for (the command's working directory)."""
    return f"{what} not found" if path.is_absolute() else f"{what} not found (looked in {Path.cwd()})"


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors become a ConfigProblem naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), "", not_found("file", path))]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"cannot read: {exc.strerror}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(str(path), where, f"YAML syntax error: {problem}")]) from None
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # PyYAML's constructors raise plain Python errors for values its resolver accepted
        # (`2001-13-45`, `!!int x`, `!!timestamp x`), and deep nesting exhausts the stack.
        message = f"YAML value error: {exc}" if str(exc) else f"YAML value error: {type(exc).__name__}"
        raise ConfigError([ConfigProblem(str(path), "", message)]) from None
