"""Which department leads a 12345 order? The lead against the 一级标签 of real citizen messages.

The texts: the 495 labelled raw messages of the 2020 泰迪杯 C题 sample (attachment2_sample_labeled.csv:
留言主题 and 留言详情, with their 一级标签), each arriving as a 12345 order in 云江市 (the example
responders/). A lead agrees when it is a department whose `topics` include the message's label (区住建局 for
城乡建设 too).

Two rules for the 险情 the analyser finds in a message (火灾隐患, 可能倒塌, 交通事故频发):
- shipped: a 险情's department leads only when that 险情 opened the incident (Decision.hazards); a 12345
  order opens as an order, so its lead follows topic, the analyser's pick and keywords;
- baseline_every_mention: the department of every 险情 the message mentions leads (commit d3f4c1f).

Beside the agreement: how many messages the duty desk leads (no department has more than a guess on them)
and how many supporting departments (协办) are paged.

Usage: python -m bench.routing_bench [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.streams import DATA  # ../shared/data, or YUQING_SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = DATA / "routing" / "attachment2_sample_labeled.csv"
RESPONDERS = ROOT / "responders"
REGION = "yunjiang"


def messages(limit: int | None) -> list[tuple[str, str]]:
    """(text, 一级标签) of the labelled sample, in file order."""
    with MESSAGES.open(encoding="utf-8") as f:
        rows = [
            (f"{r['留言主题']}。{r['留言详情']}".strip(), r["一级标签"])
            for r in csv.DictReader(f)
            if r.get("留言详情") and r.get("一级标签")
        ]
    return rows[:limit] if limit else rows


def requests(texts: Sequence[str]) -> list[tuple[Any, tuple[str, ...]]]:
    """Each text as one 12345 order: the route request the service makes, and the 险情 the text mentions."""
    from monitor.config.responders import load_responders
    from monitor.incidents.dry_run import Arrival, one_post
    from monitor.incidents.signals import route_request
    from monitor.text.analyzer import TextAnalyzer

    r = load_responders(RESPONDERS)
    out = []
    for text, a in zip(texts, TextAnalyzer(r).analyze_many(texts), strict=True):
        made = one_post(r, text, a, Arrival(region=REGION, hotline_urgency="normal"))
        request = route_request(made.event, made.decision.grade, hazards=made.decision.hazards)
        out.append((request, tuple(made.event.hazards)))
    return out


def agreement(leads: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    from monitor.config.responders import load_responders

    r = load_responders(RESPONDERS)
    ok = [label in r.departments[lead].topics for lead, label in zip(leads, labels, strict=True)]
    wrong = Counter(
        f"{label} → {r.departments[lead].name}"
        for lead, label, k in zip(leads, labels, ok, strict=True)
        if not k
    )
    return {
        "agree": sum(ok),
        "messages": len(ok),
        "share": round(sum(ok) / len(ok), 4),
        "disagreements": dict(wrong.most_common(8)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_bench")
    parser.add_argument("--quick", action="store_true", help="the first 150 messages instead of all")
    args = parser.parse_args(argv)
    from monitor.config.responders import load_responders
    from monitor.incidents.routing import route

    r = load_responders(RESPONDERS)
    rows = messages(150 if args.quick else None)
    texts, labels = [t for t, _ in rows], [label for _, label in rows]
    made = requests(texts)
    rules = {
        "shipped": [q for q, _ in made],
        "baseline_every_mention": [replace(q, hazards=mentioned) for q, mentioned in made],
    }
    report: dict[str, Any] = {
        "data": "2020 泰迪杯 C题 labelled sample, raw text, as 12345 orders in the example city",
        "messages": len(rows),
        "mentioning_a_hazard": sum(bool(mentioned) for _, mentioned in made),
        "opened_by_a_hazard": sum(bool(q.hazards) for q, _ in made),
    }
    for name, qs in rules.items():
        routes = [route(r, q) for q in qs]
        report[name] = {
            **agreement([rt.lead for rt in routes], labels),
            # a message no department claims beyond a guess goes to the duty desk to be looked at
            "led_by_the_duty_desk": sum(rt.lead == r.duty_desk.id for rt in routes),
            "supporting_departments": sum(len(rt.supporting) for rt in routes),
        }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
