"""`yuqing bench`: quick performance figures as JSON (analysis and feed parsing, snownlp beside them).

The full benchmark suite, with baselines and workload scaling, is `make bench` (bench/ in the repository).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.demo.corpus import build_corpus

START = datetime(2026, 6, 1, tzinfo=UTC)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="print quick performance figures as JSON (full suite: make bench)")
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument("--texts", type=int, default=2000, help="how many texts to analyse")


def _texts(n: int) -> list[str]:
    items, _ = build_corpus(START)
    base = [it.text for it in items]
    return [base[i % len(base)] + f" {i}" for i in range(n)]


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def measure_analysis(responders: Path, texts: list[str]) -> dict[str, Any]:
    from monitor.text.analyzer import TextAnalyzer

    t0 = time.perf_counter()
    analyzer = TextAnalyzer.from_path(responders)
    analyzer.load()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, len(texts), 256):
        analyzer.analyze_many(texts[i : i + 256])
    ours = time.perf_counter() - t0
    from snownlp import SnowNLP

    sample = texts[: max(50, len(texts) // 20)]
    t0 = time.perf_counter()
    for text in sample:
        SnowNLP(text).sentiments  # noqa: B018 - the property does the work being timed
    snow = time.perf_counter() - t0
    return {
        "model_load_s": round(load_s, 2),
        "texts": len(texts),
        "texts_per_s": _rate(len(texts), ours),
        "baseline_snownlp_texts_per_s": _rate(len(sample), snow),
        "note": "one process; `yuqing classify` forks a worker per core",
    }


def measure_feed_parsing(n_items: int = 2000) -> dict[str, Any]:
    from monitor.config.sources import load_sources
    from monitor.sources.kinds import ParseContext
    from monitor.sources.kinds.feed import FeedKind

    items = "".join(
        f"<item><title>标题{i}</title><link>https://news.example/{i}</link><guid>{i}</guid>"
        f"<pubDate>Mon, 01 Jun 2026 08:00:00 +0800</pubDate><description>云江新闻正文{i}</description></item>"
        for i in range(n_items)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    body = f"{head}{items}</channel></rss>"

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.yaml"
        path.write_text(
            "sources:\n  - {id: news, kind: feed, url: 'https://news.example/rss'}\n", encoding="utf-8"
        )
        source = load_sources(path)[0]
    t0 = time.perf_counter()
    result = FeedKind().parse(
        ParseContext(source, START), body.encode(), {"Content-Type": "application/rss+xml"}
    )
    seconds = time.perf_counter() - t0
    return {"feed_items": len(result.posts), "feed_items_per_s": _rate(len(result.posts), seconds)}


def run(args: argparse.Namespace) -> int:
    texts = _texts(args.texts)
    report = {"analysis": measure_analysis(args.responders, texts), "parsing": measure_feed_parsing()}
    print(json.dumps(report, ensure_ascii=False))
    return 0
