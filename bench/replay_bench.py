"""`yuqing replay` on 100,000 real posts (CED cascades, weibo2018, COVID-19 Weibo), end to end. Prints JSON.

Target (issue 4): 100,000 posts in under 2 minutes on this machine, through ingestion, analysis, grouping,
incidents and the clock engine, into a fresh embedded PostgreSQL. The archive is built by bench/streams.py
under bench/results/ (git-ignored: the raw data is not ours to redistribute).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.streams import write

HERE = Path(__file__).resolve().parent
TARGET_S = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_bench")
    parser.add_argument("--quick", action="store_true", help="20,000 posts instead of 100,000")
    parser.add_argument("--posts", type=int, default=None)
    args = parser.parse_args()
    posts = args.posts or (20_000 if args.quick else 100_000)
    archive = HERE / "results" / "streams" / f"mix{posts}.jsonl"
    if not archive.exists():
        write("mix100k", archive, limit=posts)
    out = HERE / "results" / "replay_output.json"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # always a fresh embedded server
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "replay",
        str(archive),
        "--output",
        str(out),
        "--members-limit",
        "20",
        "--anywhere",  # national archives name no 云江 place: open incidents anyway, so the clocks run too
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        print(json.dumps({"error": f"yuqing replay exited {proc.returncode}", "seconds": round(seconds, 1)}))
        return 1
    report = json.loads(out.read_text(encoding="utf-8"))
    summary = report["summary"]
    result = {
        "archive": archive.name,
        "posts": summary["posts"],
        "seconds_end_to_end": round(seconds, 1),
        "posts_per_second": round(summary["posts"] / seconds, 1),
        "target_seconds_for_100k": TARGET_S,
        "within_target": seconds * 100_000 / max(summary["posts"], 1) < TARGET_S,
        "stage_seconds": summary["stage_seconds"],
        "events": summary["events"],
        "events_with_several_posts": summary["events_with_several_posts"],
        "bursts": summary["bursts"],
        "incidents": summary["incidents"],
        "incidents_by_grade": summary["incidents_by_grade"],
        "incidents_by_lead": summary["incidents_by_lead"],
        "supporting_departments": summary["supporting_departments"],
        "legal_clock_outcomes": summary["legal_clock_outcomes"],
        "engine_ticks": summary["engine_ticks"],
        "settled_by_replay": summary.get("settled_by_replay"),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
