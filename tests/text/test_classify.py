"""`yuqing classify` as a subprocess: order kept, one line out per line in, errors per line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    return [json.loads(line) for line in proc.stdout.decode().splitlines()], proc


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
