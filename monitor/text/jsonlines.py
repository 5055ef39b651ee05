"""The `yuqing classify` record format: JSON-line requests validated one by one, results or error objects."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.sources.text import storable_text
from monitor.text.analyzer import Analysis, TextAnalyzer, TextInput

DEFAULT_MAX_CHARS = 100_000
_OPTIONAL_STR = ("region_hint", "author_name", "hotline_urgency")


@dataclass(frozen=True)
class RawLine:
    """One input line as read: its 1-based number, its bytes, or the size of a line too long to keep."""

    number: int
    data: bytes
    oversize: int = 0


class _NotStrictJson(ValueError):
    """A line Python's lenient decoder would accept but RFC 8259 (and so our output) cannot carry."""


def _reject_constant(name: str) -> object:
    raise _NotStrictJson(f"{name} is not a JSON value")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _NotStrictJson(f"number out of range: {literal[:40]}")
    return value


def _bounded_int(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:  # longer than sys.get_int_max_str_digits(): it could not even be written back
        raise _NotStrictJson(f"number too long: {len(literal)} digits") from None


def _loads(line: str) -> object:
    """Strict JSON: NaN, Infinity, numbers out of double range and over-long integers are refused."""
    return json.loads(
        line, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int
    )


def _dumps(record: dict[str, object]) -> str:
    """Strict JSON that encodes as UTF-8: a lone surrogate left in an echoed id or key becomes U+FFFD."""
    # json.dumps escapes NUL and other control characters, so storable_text only replaces surrogates here.
    return storable_text(json.dumps(record, ensure_ascii=False, allow_nan=False))


def _output(line: int, record_id: object, body: dict[str, object]) -> str:
    try:
        return _dumps({"id": record_id, **body})
    except (ValueError, RecursionError) as err:  # an id nested too deeply, or a non-finite number
        message = f"result cannot be written as JSON: {type(err).__name__}"
        return _dumps({"id": None, "line": line, "error": message})


def error_record(line: int, message: str, record_id: object = None) -> str:
    return _output(line, record_id, {"line": line, "error": message})


def result_record(line: int, record_id: object, analysis: Analysis) -> str:
    return _output(line, record_id, analysis.to_json())


def parse_line(raw: RawLine, max_chars: int) -> tuple[object, TextInput | str]:
    """(the record's id if known, a valid request or an error message)."""
    if raw.oversize:
        return None, f"line too long: {raw.oversize} bytes (limit {max_line_bytes(max_chars)})"
    try:
        line = raw.data.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, f"line is not valid UTF-8 (byte {err.start})"
    if not line.strip():
        return None, "empty line"
    try:
        obj = _loads(line)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON: {err.msg} at column {err.colno}"
    except _NotStrictJson as err:
        return None, f"not valid JSON: {err}"
    except RecursionError:
        return None, "not valid JSON: nested too deeply"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    record_id = obj.get("id")
    text = obj.get("text")
    if text is None:
        return record_id, 'missing "text"'
    if not isinstance(text, str):
        return record_id, f'"text" must be a string, got {type(text).__name__}'
    text = storable_text(text)  # a lone surrogate (valid as a JSON escape) would break the models' encoding
    if not text.strip():
        return record_id, '"text" is empty'
    if len(text) > max_chars:
        return record_id, f'"text" too long: {len(text)} characters (limit {max_chars})'
    for key in _OPTIONAL_STR:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return record_id, f'"{key}" must be a string'
    verified = obj.get("author_verified_type", obj.get("verified_type"))
    if verified is not None and (isinstance(verified, bool) or not isinstance(verified, int)):
        return record_id, '"author_verified_type" must be an integer'
    region_hint, author_name, urgency = (
        storable_text(v) if isinstance(v := obj.get(key), str) else None for key in _OPTIONAL_STR
    )
    return record_id, TextInput(text, region_hint, verified, author_name, urgency)


def max_line_bytes(max_chars: int) -> int:
    """Longest line worth parsing: every character as a 6-byte JSON escape, plus room for other fields."""
    return max_chars * 6 + 65_536


def _analysed(analyzer: TextAnalyzer, batch: Sequence[tuple[int, object, TextInput]]) -> list[str]:
    """Requests analysed as one batch; if that fails, one by one, so a bad line spoils only itself."""
    try:
        analyses = analyzer.analyze_many([item for _, _, item in batch])
    except Exception as err:
        if len(batch) > 1:
            return [record for one in batch for record in _analysed(analyzer, [one])]
        line, record_id, _ = batch[0]
        return [error_record(line, f"analysis failed: {type(err).__name__}: {err}", record_id)]
    return [
        result_record(line, record_id, analysis)
        for (line, record_id, _), analysis in zip(batch, analyses, strict=True)
    ]


def process_lines(analyzer: TextAnalyzer, lines: Sequence[RawLine], max_chars: int) -> list[str]:
    """One output line per input line, in order; the valid ones are analysed as one batch."""
    out: list[str | None] = [None] * len(lines)
    valid: list[int] = []
    batch: list[tuple[int, object, TextInput]] = []
    for i, raw in enumerate(lines):
        record_id, parsed = parse_line(raw, max_chars)
        if isinstance(parsed, TextInput):
            valid.append(i)
            batch.append((raw.number, record_id, parsed))
        else:
            out[i] = error_record(raw.number, parsed, record_id)
    if batch:
        for i, record in zip(valid, _analysed(analyzer, batch), strict=True):
            out[i] = record
    return [
        line if line is not None else error_record(lines[k].number, "no output") for k, line in enumerate(out)
    ]
