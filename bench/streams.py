"""Converts the real streams in ../shared/data/events into `yuqing replay` archives (JSON lines).

    python -m bench.streams ced OUT.jsonl         # CED: 3,387 source posts + 76k reposts with parent links
    python -m bench.streams covid19 OUT.jsonl     # 44,713 COVID-19 posts (day granularity, spread over days)
    python -m bench.streams weibo2018 OUT.jsonl   # 11,100 posts with times decoded from their ids
    python -m bench.streams topics OUT.jsonl      # the 600 weibo2018 posts of the six gold topics
    python -m bench.streams mix100k OUT.jsonl     # the first 100,000 posts of all three, by time

The raw data is research data without a licence to redistribute: archives are written outside the
repository (bench/results/ is git-ignored) and never committed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("YUQING_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")
EVENTS = DATA / "events"
csv.field_size_limit(1 << 30)


def _cst(text: str, year: int | None = None) -> str:
    """`2013-04-10 21:13:47`, or Weibo's year-less `02月23日 02:17` (then `year` is the cascade's year)."""
    short = re.fullmatch(r"(\d+)月(\d+)日 (\d+):(\d+)", text.strip())
    if short and year is not None:
        month, day, hour, minute = (int(x) for x in short.groups())
        return datetime(year, month, day, hour, minute, tzinfo=CST).isoformat()
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).isoformat()


def ced() -> Iterator[dict[str, Any]]:
    """Source posts (with followers and engagement) and the reposts of the 200 sampled cascades."""
    years: dict[str, int] = {}
    with (EVENTS / "ced_events.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            years[r["event_id"]] = datetime.fromtimestamp(int(r["post_time_unix"]), CST).year
            yield {
                "id": r["event_id"],
                "text": r["text"],
                "published_at": datetime.fromtimestamp(int(r["post_time_unix"]), UTC).isoformat(),
                "source": "weibo",
                "followers": int(r["user_followers"] or 0),
                "verified_type": 0 if r["user_verified"] == "True" else None,
                "reposts": int(r["reposts"] or 0),
                "comments": int(r["comments"] or 0),
                "likes": int(r["likes"] or 0),
            }
    with (EVENTS / "ced_reposts_sample200.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield {
                "id": r["mid"],
                "text": r["text"].strip() or "转发微博",
                "published_at": _cst(r["repost_date_local"], years.get(r["event_id"])),
                "source": "weibo",
                "parent_id": r["parent_mid"] or r["event_id"],
            }


def covid19() -> Iterator[dict[str, Any]]:
    """Day-granular posts, spread evenly over each day in file order (the real minute is unknown)."""
    by_day: dict[str, list[str]] = defaultdict(list)
    with (EVENTS / "covid19_weibo_unlabeled_daily" / "covid_weibo_daily_sample.csv").open(
        encoding="utf-8"
    ) as f:
        for r in csv.DictReader(f):
            if r["text"].strip():
                by_day[r["crawl_date"]].append(r["text"])
    for day, texts in sorted(by_day.items()):
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=CST)
        for i, text in enumerate(texts):
            at = start + timedelta(seconds=86400 * (i + 0.5) / len(texts))
            yield {"id": f"covid-{day}-{i}", "text": text, "published_at": at.isoformat(), "source": "weibo"}


def weibo2018() -> Iterator[dict[str, Any]]:
    with (EVENTS / "weibo2018_all_with_time.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield {"id": r["mid"], "text": r["text"], "published_at": _cst(r["created_at_cst_from_mid"])}


def topics() -> Iterator[dict[str, Any]]:
    """The six gold topics (`topic` is the label; replay ignores unknown keys)."""
    times = {r["id"]: r["published_at"] for r in weibo2018()}
    for path in sorted((EVENTS / "weibo2018_topics").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            mid, _, rest = line.partition(",")
            _, _, text = rest.partition(",")
            if mid in times and text.strip():
                yield {"id": mid, "text": text.strip(), "published_at": times[mid], "topic": path.stem}


def mix100k() -> Iterator[dict[str, Any]]:
    rows = [*ced(), *weibo2018(), *covid19()]
    rows.sort(key=lambda r: datetime.fromisoformat(r["published_at"]))
    yield from rows[:100_000]


STREAMS = {"ced": ced, "covid19": covid19, "weibo2018": weibo2018, "topics": topics, "mix100k": mix100k}


def write(name: str, out: Path, limit: int | None = None) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    opener = gzip.open if out.suffix == ".gz" else open
    with opener(out, "wt", encoding="utf-8") as f:  # type: ignore[operator]
        for row in STREAMS[name]():
            if limit is not None and n >= limit:
                break
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streams")
    parser.add_argument("stream", choices=sorted(STREAMS))
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    n = write(args.stream, args.out, args.limit)
    print(json.dumps({"stream": args.stream, "posts": n, "out": str(args.out)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
