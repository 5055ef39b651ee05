"""`yuqing bench` prints real, positive figures as one JSON document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_yuqing_bench_prints_json_figures() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "bench",
            "--texts",
            "300",
            "--responders",
            str(ROOT / "responders"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["analysis"]["texts"] == 300
    assert report["analysis"]["texts_per_s"] > 0
    assert report["analysis"]["baseline_snownlp_texts_per_s"] > 0
    assert report["parsing"]["feed_items"] == 2000
