"""`yuqing classify` as a subprocess: order kept, one line out per line in, errors per line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.text.analyzer import Analysis, TextAnalyzer, TextInput
from monitor.text.jsonlines import RawLine, process_lines

ROOT = Path(__file__).resolve().parents[2]


def classify(data: bytes, *args: str) -> tuple[list[dict[str, object]], subprocess.CompletedProcess[bytes]]:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "classify", *args],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return [strict_json(line) for line in proc.stdout.decode("utf-8").splitlines()], proc


def _no_constant(name: str) -> object:
    raise AssertionError(f"output is not strict JSON: {name}")


def strict_json(line: str) -> dict[str, object]:
    """One output line, parsed as RFC 8259 JSON: NaN and Infinity fail the test."""
    record = json.loads(line, parse_constant=_no_constant)
    assert isinstance(record, dict)
    return record


GOOD = [
    {"id": 1, "text": "滨江区江滨街道化工厂爆炸，造成3人死亡"},
    {"id": "b", "text": "今天天气真好，很开心"},
    {"id": 3, "text": "小区物业乱收费", "region_hint": "339903"},
]
BAD_LINES = [
    (b"not json", None, "not valid JSON"),
    (b'{"id": 5}', 5, 'missing "text"'),
    (b'{"id": 6, "text": "   "}', 6, '"text" is empty'),
    (b'{"id": 7, "text": 7}', 7, '"text" must be a string'),
    (b"[1, 2]", None, "expected a JSON object"),
    (b"", None, "empty line"),
    (b'{"id": 9, "text": "\xff\xfe"}', None, "not valid UTF-8"),
    (b'{"id": 10, "text": "ok", "author_verified_type": "x"}', 10, "must be an integer"),
]


def _input(bad_every: int = 1) -> tuple[bytes, list[tuple[str, object, str | None]]]:
    """Good and bad lines interleaved; returns the bytes and what each output line should be."""
    lines: list[bytes] = []
    expected: list[tuple[str, object, str | None]] = []
    for i, (raw, bad_id, message) in enumerate(BAD_LINES):
        good = GOOD[i % len(GOOD)]
        lines.append(json.dumps(good, ensure_ascii=False).encode())
        expected.append(("ok", good["id"], None))
        if i % bad_every == 0:
            lines.append(raw)
            expected.append(("error", bad_id, message))
    return b"\n".join(lines) + b"\n", expected


@pytest.mark.parametrize("workers", ["1", "2"])
def test_order_and_errors(responders_dir: Path, workers: str) -> None:
    data, expected = _input()
    out, _ = classify(data, "--responders", str(responders_dir), "--workers", workers, "--batch-size", "3")
    assert len(out) == len(expected)
    for number, (record, (kind, record_id, message)) in enumerate(zip(out, expected, strict=True), start=1):
        assert record["id"] == record_id
        if kind == "error":
            assert record["line"] == number
            assert message is not None and message in str(record["error"])
        else:
            assert "error" not in record
            for key in ("negative", "polarity", "topic", "topic_score", "department", "region", "explain"):
                assert key in record


def test_results(responders_dir: Path) -> None:
    data = "\n".join(json.dumps(g, ensure_ascii=False) for g in GOOD).encode()  # no final newline
    out, _ = classify(data, "--responders", str(responders_dir))
    assert [r["id"] for r in out] == [1, "b", 3]
    assert out[0]["region"] == "binjiang-jiangbin" and out[0]["department"] == "yingji"
    assert out[1]["polarity"] == "positive"
    assert out[2]["region"] == "jiangbei"


def test_megabytes_of_text_are_an_error_not_a_crash(responders_dir: Path) -> None:
    long_text = json.dumps({"id": "long", "text": "很" * 5_000}, ensure_ascii=False).encode()
    huge_text = json.dumps({"id": "big", "text": "很" * 3_000_000}, ensure_ascii=False).encode()
    huge_line = b'{"id": "raw", "text": "' + b"a" * 8_000_000 + b'"}'
    first = json.dumps(GOOD[0], ensure_ascii=False).encode()
    lines = [first, long_text, huge_text, huge_line, b'{"id": 5, "text": "ok"}']
    out, _ = classify(b"\n".join(lines) + b"\n", "--responders", str(responders_dir), "--max-chars", "1000")
    assert [r["id"] for r in out] == [1, "long", None, None, 5]  # a line too long to parse has no known id
    assert out[1]["error"] == '"text" too long: 5000 characters (limit 1000)'
    assert "line too long" in str(out[2]["error"]) and out[2]["line"] == 3
    assert "line too long" in str(out[3]["error"]) and out[3]["line"] == 4
    assert "error" not in out[0] and "error" not in out[4]


def test_same_output_with_one_or_two_workers(responders_dir: Path) -> None:
    data = "\n".join(
        json.dumps({"id": i, "text": f"第{i}条：滨江区小区停水{i}天了"}, ensure_ascii=False)
        for i in range(300)
    )
    one, _ = classify(
        data.encode(), "--responders", str(responders_dir), "--workers", "1", "--batch-size", "7"
    )
    two, _ = classify(
        data.encode(), "--responders", str(responders_dir), "--workers", "2", "--batch-size", "7"
    )
    assert one == two and [r["id"] for r in one] == list(range(300))


def test_bad_responders_directory_fails_clearly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "classify", "--responders", str(tmp_path / "missing")],
        input=b"{}\n",
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert b"responders directory not found" in proc.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_lone_surrogate_in_text_spoils_no_line(responders_dir: Path, workers: str) -> None:
    lines = [
        b'{"id": 1, "text": "\\u4eca\\u5929\\u5929\\u6c14\\u771f\\u597d"}',
        b'{"id": 2, "text": "bad \\ud800 \\udfff", "author_name": "\\udc00"}',
        b'{"id": 3, "text": "\\u5c0f\\u533a\\u505c\\u6c34"}',
    ]
    out, _ = classify(b"\n".join(lines) + b"\n", "--responders", str(responders_dir), "--workers", workers)
    assert [r["id"] for r in out] == [1, 2, 3]
    assert all("error" not in r for r in out), out
    alone, _ = classify(
        b'{"id": 2, "text": "bad \\ufffd \\ufffd", "author_name": "\\ufffd"}',
        "--responders",
        str(responders_dir),
    )
    assert out[1] == alone[0]  # analysed as if each lone surrogate were U+FFFD, as stored posts are


def test_a_lone_surrogate_in_an_id_is_written_as_utf8(responders_dir: Path) -> None:
    lines = [b'{"id": "\\ud800x", "text": "ok"}', b'{"id": "\\udfff", "text": 5}', b'{"id": 3, "text": "ok"}']
    out, proc = classify(b"\n".join(lines), "--responders", str(responders_dir))
    assert proc.stdout.decode("utf-8").count("\ufffd") == 2
    assert [r["id"] for r in out] == ["\ufffdx", "\ufffd", 3]
    assert "error" not in out[0] and "error" in out[1] and "error" not in out[2]


class _Poisoned(TextAnalyzer):
    """An analyzer whose batches fail whenever they hold a text containing `poison`."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison
        self.batches: list[int] = []

    def analyze_many(self, items: Sequence[TextInput | str]) -> list[Analysis]:
        self.batches.append(len(items))
        if any(self.poison in (i if isinstance(i, str) else i.text) for i in items):
            raise ValueError("poisoned")
        return super().analyze_many(items)


def _raw(texts: list[str]) -> list[RawLine]:
    return [RawLine(n, json.dumps({"id": n, "text": t}).encode()) for n, t in enumerate(texts, start=1)]


def test_a_failing_batch_is_retried_line_by_line() -> None:
    analyzer = _Poisoned("毒")
    lines = _raw(["今天天气真好", "有毒的一行", "小区停水三天", "路灯坏了"])
    out = [strict_json(line) for line in process_lines(analyzer, lines, 1000)]
    assert [r["id"] for r in out] == [1, 2, 3, 4]
    assert out[1] == {"id": 2, "line": 2, "error": "analysis failed: ValueError: poisoned"}
    assert all("error" not in r for k, r in enumerate(out) if k != 1)
    assert analyzer.batches == [4, 1, 1, 1, 1]
    good = process_lines(analyzer, [lines[0], lines[2]], 1000)
    assert [strict_json(line) for line in good] == [out[0], out[2]]


class _NotANumber(TextAnalyzer):
    """An analyzer that reports NaN for texts containing `trigger` (a model gone wrong)."""

    def __init__(self, trigger: str) -> None:
        super().__init__()
        self.trigger = trigger

    def analyze_many(self, items: Sequence[TextInput | str]) -> list[Analysis]:
        texts = [i if isinstance(i, str) else i.text for i in items]
        analyses = super().analyze_many(items)
        pairs = zip(texts, analyses, strict=True)
        return [replace(a, negative=math.nan) if self.trigger in t else a for t, a in pairs]


def test_a_non_finite_result_is_an_error_not_invalid_json() -> None:
    out = [strict_json(line) for line in process_lines(_NotANumber("坏"), _raw(["好的", "坏的"]), 1000)]
    assert "error" not in out[0]
    assert out[1] == {"id": None, "line": 2, "error": "result cannot be written as JSON: ValueError"}


_BIG = b"1" + b"0" * 5_000
_DEEP = b"[" * 5_000 + b"]" * 5_000
HOSTILE_JSON = [
    ("huge-field", b'{"id": 1, "text": "x", "n": ' + _BIG + b"}", "number too long: 5001 digits"),
    ("huge-id", b'{"id": ' + _BIG + b', "text": "x"}', "number too long: 5001 digits"),
    ("deep-line", b"[" * 100_000, "nested too deeply"),
    ("deep-field", b'{"id": 1, "text": "x", "d": ' + _DEEP + b"}", "nested too deeply"),
    ("nan-id", b'{"id": NaN, "text": "x"}', "NaN is not a JSON value"),
    ("minus-infinity-id", b'{"id": -Infinity, "text": "x"}', "-Infinity is not a JSON value"),
    ("infinity-field", b'{"id": 1, "text": "x", "score": Infinity}', "Infinity is not a JSON value"),
    ("overflow-id", b'{"id": 1e400, "text": "x"}', "number out of range: 1e400"),
]


@pytest.mark.parametrize(("line", "error"), [pytest.param(*case[1:], id=case[0]) for case in HOSTILE_JSON])
def test_hostile_json_is_an_error_for_its_line_only(responders_dir: Path, line: bytes, error: str) -> None:
    lines = [
        b'{"id": 0, "text": "ok"}',
        line,
        b'{"id": 2, "text": "ok", "x": 1.5e300, "n": ' + b"9" * 4_000 + b"}",
    ]
    out, proc = classify(
        b"\n".join(lines) + b"\n", "--responders", str(responders_dir), "--workers", "2", "--batch-size", "2"
    )
    assert proc.stderr == b""
    assert [r["id"] for r in out] == [0, None, 2]
    assert out[1] == {"id": None, "line": 2, "error": f"not valid JSON: {error}"}
    assert "error" not in out[0] and "error" not in out[2]
