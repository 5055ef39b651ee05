"""`yuqing route TEXT`: dry run — analysis, grade, lead and supporting departments, chains and clocks, why."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from monitor.config.errors import ConfigError
from monitor.config.responders import Responders, load_responders
from monitor.incidents.dry_run import Arrival, dry_run
from monitor.pipeline.analyse import analysis_text
from monitor.pipeline.analyzer import AnalyzerUnavailable, load_analyzer

_ROLES = {"lead": "主办", "support": "协办", "coordinator": "统筹协调", "informed": "知会"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "route", help="dry run: analysis, grade, departments, escalation chain and clocks, with reasons"
    )
    p.add_argument("text", help="the post text (use quotes)")
    p.add_argument(
        "--region", default=None, help="region id (属地) to use instead of the one found in the text"
    )
    p.add_argument(
        "--verified-type", type=int, default=None, help="author's Weibo verified_type (1 = government)"
    )
    p.add_argument(
        "--hotline-urgency", default=None, help="treat the text as a 12345 order with this urgency"
    )
    p.add_argument(
        "--handler-unit",
        default=None,
        help="the unit the 12345 platform dispatched the order to (承办单位); with --hotline-urgency",
    )
    p.add_argument(
        "--assist-unit",
        action="append",
        default=[],
        help="a unit the 12345 platform dispatched to help (协办单位); repeat for several",
    )
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _clock_line(c: dict[str, Any]) -> str:
    warn = "、".join(f"{w:.0%}" for w in c["warn_at"])
    return f"  - {c['label']}：{_duration(c['within_s'])}，预警 {warn}"


def _serious(sev: dict[str, Any]) -> str:
    """（重伤5） when the text said how many of the injured were badly hurt."""
    serious, injured = sev.get("serious"), sev.get("injured", 0)
    return f"（重伤{serious}）" if serious is not None and serious != injured else ""


def render(result: dict[str, Any], r: Responders) -> str:
    """The human-readable dry run (Chinese labels, as a duty officer reads it)."""
    a, g, rt = result["analysis"], result["grade"], result["route"]
    sev = a["severity"] or {}
    lines = [
        f"分析：负面概率 {a['negative']:.2f}（{a['polarity']}）· 领域 {a['topic']}（{a['topic_score']:.2f}）"
        f" · 属地 {a['region_used'] or '未识别'} · 部门提示 {a['department'] or '无'}",
        f"      伤亡 死亡{sev.get('deaths', 0)} 受伤{sev.get('injured', 0)}{_serious(sev)}"
        f" 失踪{sev.get('missing', 0)}"
        f" · 险情 {'、'.join(sev.get('hazards') or []) or '无'}",
        f"分级：{g['label']}（{g['colour']}）· "
        + ("达到立案条件" if g["opens_incident"] else "单条未达立案条件"),
        *[f"  - {x['message']}" for x in g["reasons"]],
        *[f"  - {x['message']}" for x in g.get("held", [])],
        f"路由：主办 {rt['lead_name']}（{rt['lead']}）· 属地 {rt['region']}",
        *[
            f"  {_ROLES.get(d['role'], d['role'])} {d['name']}（{d['id']}）"
            for d in rt["departments"]
            if d["role"] != "lead"
        ],
        *[f"  - {x}" for x in rt["reasons"]],
        "时限：",
        *[_clock_line(c) for c in result["clocks"]],
        "升级链：",
    ]
    for dept, steps in result["chains"].items():
        lines.append(f"  {r.departments[dept].name}（{dept}）")
        for i, step in enumerate(steps, start=1):
            then = "重复" if step["then"] == "repeat" else "升级"
            lines.append(
                f"    {i}. {', '.join(step['notify'])} — {_duration(step['ack_timeout_s'])} 未确认则{then}"
            )
    lines.append("超时后逐级上报：")
    lines += [f"  {i}. {', '.join(step)}" for i, step in enumerate(result["breach_escalation"], start=1)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not args.text.strip():
        print("yuqing route: TEXT must not be empty", file=sys.stderr)
        return 2
    try:
        args.text.encode("utf-8")  # undecodable argument bytes arrive as lone surrogates
    except UnicodeEncodeError:
        print("yuqing route: TEXT is not valid UTF-8 (check the terminal's encoding)", file=sys.stderr)
        return 2
    try:
        r = load_responders(args.responders)
    except ConfigError as err:
        for p in err.problems:
            print(f"yuqing route: {p}", file=sys.stderr)
        return 1
    if args.region is not None and args.region not in r.regions:
        print(
            f"yuqing route: unknown region {args.region!r}; known: {', '.join(sorted(r.regions))}",
            file=sys.stderr,
        )
        return 2
    limits = r.policy.hotline.limits
    if args.hotline_urgency is not None and args.hotline_urgency not in limits:
        print(
            f"yuqing route: unknown 12345 urgency {args.hotline_urgency!r}; "
            f"_policy.yaml's hotline.limits has: {', '.join(limits)}",
            file=sys.stderr,
        )
        return 2
    if (args.handler_unit is not None or args.assist_unit) and args.hotline_urgency is None:
        print(
            "yuqing route: --handler-unit and --assist-unit are a 12345 order's; give --hotline-urgency too",
            file=sys.stderr,
        )
        return 2
    try:
        analyzer = load_analyzer(r)
    except AnalyzerUnavailable as exc:
        print(f"yuqing route: {exc}", file=sys.stderr)
        return 1
    extra = {"handler_unit": args.handler_unit} if args.handler_unit else {}
    analysis = analyzer.analyze(
        analysis_text("", args.text, "hotline", extra) if args.hotline_urgency else args.text,
        region_hint=args.region,
        author_verified_type=args.verified_type,
        hotline_urgency=args.hotline_urgency,
    )
    how = Arrival(
        region=args.region,
        verified_type=args.verified_type,
        hotline_urgency=args.hotline_urgency,
        hotline_unit=args.handler_unit,
        hotline_assist=tuple(args.assist_unit),
    )
    result = dry_run(r, args.text, analysis, how)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        print(render(result, r))
    return 0
