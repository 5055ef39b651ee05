"""When does a 险情 (hazard word) open an incident? Two rules compared on real text:
- the shipped rule: calm reports of the factual hazards open, above a floor under which posts read as advice;
- the old rule: every hazard needs the posts to be negative (open_min_negative).

The texts:
- 175 June-2024 Weibo hot-search topics (title + 导语, MIT-licensed) in which the analyzer finds a hazard,
  each labelled by hand in bench/data/hazard_reports.csv: 1 = a hazard really happened (a fire, a collapse,
  a drowning, anywhere), 0 = advice, a weather warning, a metaphor (我会爆炸的), history, entertainment, a
  rumour being denied;
- everyday chatter: the first 20,000 posts of the COVID-19 Weibo stream, where a hazard rule that fires is
  almost always noise (a hashtag, 原地爆炸, 防火小知识).

Each text is graded as an event of two such posts about a local place, so only the hazard rule decides.
Usage: python -m bench.hazards_bench [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.streams import EVENTS  # ../shared/data/events, or YUQING_SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
LABELS = Path(__file__).resolve().parent / "data" / "hazard_reports.csv"
TOPICS = EVENTS / "weibo_hotsearch_hourly_2024_06" / "topics.csv"
CHATTER = EVENTS / "covid19_weibo_unlabeled_daily" / "covid_weibo_daily_sample.csv"
RESPONDERS = ROOT / "responders"


def hot_search() -> tuple[list[str], list[bool]]:
    labels = {r["title"]: r["event"] == "1" for r in csv.DictReader(LABELS.open(encoding="utf-8"))}
    texts: dict[str, str] = {}
    with TOPICS.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["title"] in labels:
                texts[r["title"]] = f"{r['title']}。{r['description']}"
    missing = sorted(set(labels) - set(texts))
    if missing:
        raise SystemExit(f"{TOPICS}: {len(missing)} labelled titles not found, e.g. {missing[0]!r}")
    return [texts[t] for t in labels], list(labels.values())


def chatter(limit: int) -> list[str]:
    with CHATTER.open(encoding="utf-8") as f:
        return [r["text"] for _, r in zip(range(limit), csv.DictReader(f), strict=False)]


def opens_on_hazard(analyses: Sequence[Any], factual: bool) -> list[bool]:
    """Whether an event of two posts like each one opens through the hazard rule."""
    from monitor.config.responders import load_responders
    from monitor.incidents.grading import Signals, grade_event

    policy = load_responders(RESPONDERS).policy
    rules = policy.grading if factual else policy.grading.model_copy(update={"factual_hazards": ()})
    out = []
    for a in analyses:
        hazards = tuple(a.severity.hazards)
        named = tuple((h, 2) for h in hazards)
        s = Signals(
            posts=2, heat=2.0, negative_share=a.negative, hazards=hazards, hazard_posts=named, local=True
        )
        d = grade_event(s, rules, policy.casualty_criteria)
        out.append(any(r.code == "open_hazard" for r in d.open_reasons))
    return out


def scores(opened: Sequence[bool], truth: Sequence[bool]) -> dict[str, Any]:
    hits = sum(o and t for o, t in zip(opened, truth, strict=True))
    false = sum(o and not t for o, t in zip(opened, truth, strict=True))
    events = sum(truth)
    return {
        "events_opened": hits,
        "events": events,
        "recall": round(hits / events, 3),
        "non_events_opened": false,
        "non_events": len(truth) - events,
        "precision": round(hits / (hits + false), 3) if hits + false else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hazards_bench")
    parser.add_argument("--quick", action="store_true", help="5,000 chatter posts instead of 20,000")
    args = parser.parse_args(argv)
    from monitor.text.analyzer import TextAnalyzer

    analyzer = TextAnalyzer.from_path(RESPONDERS)
    texts, truth = hot_search()
    analysed = analyzer.analyze_many(texts)
    with_hazard = [bool(a.severity.hazards) for a in analysed]
    if not all(with_hazard):
        print(f"note: {with_hazard.count(False)} labelled topics no longer have a hazard", file=sys.stderr)
    posts = chatter(5000 if args.quick else 20000)
    noise = analyzer.analyze_many(posts)
    report: dict[str, Any] = {"hot_search_topics": len(texts), "chatter_posts": len(posts)}
    for name, factual in (("shipped", True), ("baseline_negative_only", False)):
        report[name] = {
            "hot_search": scores(opens_on_hazard(analysed, factual), truth),
            "chatter_posts_opening": sum(opens_on_hazard(noise, factual)),
        }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
