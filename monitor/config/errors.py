"""Config errors that carry the path of every problem, reported all at once."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from pydantic import ValidationError


@dataclass(frozen=True)
class ConfigProblem:
    """One problem: the file, the path inside it (`sources[2].interval`) and what is wrong."""

    file: str
    path: str
    message: str
    line: int | None = None  # of the key or item the path names, when the file has it

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{where}: {self.message}{at}"


class ConfigError(Exception):
    """Raised with every problem found, so an operator fixes them in one pass."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_loc(loc: Iterable[int | str], root: str = "") -> str:
    """Render a pydantic location tuple as `root[2].field.sub`."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(
    err: ValidationError, file: str, root: str = "", union_tags: Collection[str] = ()
) -> list[ConfigProblem]:
    """Translate pydantic's errors into path-named problems with plain messages."""
    problems: list[ConfigProblem] = []
    for e in err.errors(include_url=False):
        # Discriminated unions add the tag ("feed", "weibo") to the loc; it is noise for an operator.
        loc = [
            p for p in e["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p in union_tags))
        ]
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] in ("tuple_type", "list_type"):
            msg = "expected a list (`- item` lines or [a, b])"
        elif e["type"] in ("dict_type", "model_type"):
            msg = "expected a mapping (`key: value` lines)"
        elif e["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            ctx = e.get("ctx") or {}
            loc.append(str(ctx.get("discriminator", "kind")).strip("'\""))
            msg = (
                f"unknown value {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
                if e["type"] == "union_tag_invalid"
                else "required key is missing"
            )
        if e["type"] in _SHOW_INPUT and isinstance(e.get("input"), str | int | float):
            msg += f" (got {_shown(e['input'])})"
        problems.append(ConfigProblem(file, format_loc(loc, root), msg))
    return problems


# errors whose message does not say what was written; never value errors, which may be about a secret
_SHOW_INPUT = frozenset(
    {"literal_error", "string_pattern_mismatch", "int_parsing", "float_parsing", "bool_parsing", "enum"}
    | {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "int_from_float"}
)


def _shown(value: str | int | float) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def print_problems(command: str, err: ConfigError, stream: TextIO, consequence: str = "") -> int:
    """The CLI's answer to a bad configuration: every problem on its own line; returns exit status 1."""
    tail = f"; {consequence}" if consequence else ""
    print(f"{command}: configuration has problems{tail}:", file=stream)
    for problem in err.problems:
        print(f"  {problem}", file=stream)
    return 1
