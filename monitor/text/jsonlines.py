"""The `yuqing classify` record format: JSON-line requests validated one by one, results or error objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.text.analyzer import Analysis, TextAnalyzer, TextInput

DEFAULT_MAX_CHARS = 100_000
_OPTIONAL_STR = ("region_hint", "author_name", "hotline_urgency")


@dataclass(frozen=True)
class RawLine:
    """One input line as read: its 1-based number, its bytes, or the size of a line too long to keep."""

    number: int
    data: bytes
    oversize: int = 0


def error_record(line: int, message: str, record_id: object = None) -> str:
    return json.dumps({"id": record_id, "line": line, "error": message}, ensure_ascii=False)


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
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON: {err.msg} at column {err.colno}"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    record_id = obj.get("id")
    text = obj.get("text")
    if text is None:
        return record_id, 'missing "text"'
    if not isinstance(text, str):
        return record_id, f'"text" must be a string, got {type(text).__name__}'
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
    item = TextInput(
        text, obj.get("region_hint"), verified, obj.get("author_name"), obj.get("hotline_urgency")
    )
    return record_id, item


def result_record(record_id: object, analysis: Analysis) -> str:
    return json.dumps({"id": record_id, **analysis.to_json()}, ensure_ascii=False)


def max_line_bytes(max_chars: int) -> int:
    """Longest line worth parsing: every character as a 6-byte JSON escape, plus room for other fields."""
    return max_chars * 6 + 65_536


def process_lines(analyzer: TextAnalyzer, lines: Sequence[RawLine], max_chars: int) -> list[str]:
    """One output line per input line, in order; the valid ones are analysed as one batch."""
    out: list[str | None] = [None] * len(lines)
    valid: list[tuple[int, object, TextInput]] = []
    for i, raw in enumerate(lines):
        record_id, parsed = parse_line(raw, max_chars)
        if isinstance(parsed, TextInput):
            valid.append((i, record_id, parsed))
        else:
            out[i] = error_record(raw.number, parsed, record_id)
    if valid:
        try:
            analyses = analyzer.analyze_many([item for _, _, item in valid])
        except Exception as err:
            for i, record_id, _ in valid:
                out[i] = error_record(
                    lines[i].number, f"analysis failed: {type(err).__name__}: {err}", record_id
                )
        else:
            for (i, record_id, _), analysis in zip(valid, analyses, strict=True):
                out[i] = result_record(record_id, analysis)
    return [
        line if line is not None else error_record(lines[k].number, "no output") for k, line in enumerate(out)
    ]
