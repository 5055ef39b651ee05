"""Grades Ⅰ–Ⅳ and the opening decision from an event's signals, with a reason for every step (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.config.policy import CasualtyCriterion, GradingPolicy
from monitor.incidents.grades import GRADE_LABELS, GRADE_NUMBERS


@dataclass(frozen=True)
class Signals:
    """What grading looks at, aggregated over the event's posts."""

    posts: int
    heat: float
    bursting: bool = False
    negative_share: float = 0.0
    channels: tuple[str, ...] = ()
    official_posts: int = 0
    media_posts: int = 0
    deaths: int = 0
    injured: int = 0
    serious: int | None = None  # 重伤 as the posts report it; None: every injured person counts
    missing: int = 0
    casualty_grade: int | None = None  # the analyser's own reading of the criteria table
    hazards: tuple[str, ...] = ()
    hazard_posts: tuple[tuple[str, int], ...] = ()  # (hazard, how many posts name it)
    urgent: bool = False
    local: bool = True  # a place in the city's region tree, a source with a region, or a 12345 order


@dataclass(frozen=True)
class Reason:
    """One step of the decision: a stable code, the grade it argues for, and words for people."""

    code: str
    message: str
    grade: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "grade": self.grade, "message": self.message}


@dataclass(frozen=True)
class Decision:
    """Whether the event qualifies as an incident, its grade and why."""

    opens: bool
    grade: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    open_reasons: tuple[Reason, ...] = field(default_factory=tuple)
    held: tuple[Reason, ...] = field(default_factory=tuple)  # why an event that qualifies stays an event
    # the 险情 that made it an incident (open_hazard): the departments that own them lead (routing)
    hazards: tuple[str, ...] = ()

    def reasons_json(self) -> list[dict[str, Any]]:
        return [r.as_json() for r in (*self.open_reasons, *self.reasons)]


def casualty_grade(
    deaths: int, injured: int, missing: int, criteria: Sequence[CasualtyCriterion], *, hurt: str = "受伤"
) -> tuple[int | None, str]:
    """The most severe grade whose counts are reached (国务院令493号: "以上"包括本数); `injured` is the count
    its injured_min reads (重伤), and `hurt` names it in the reason."""
    best: int | None = None
    why = ""
    for c in criteria:
        hits = []
        if c.deaths_min is not None and deaths >= c.deaths_min and deaths > 0:
            hits.append(f"死亡{deaths}人≥{c.deaths_min}")
        if c.injured_min is not None and injured >= c.injured_min and injured > 0:
            hits.append(f"{hurt}{injured}人≥{c.injured_min}")
        if c.missing_min is not None and missing >= c.missing_min and missing > 0:
            hits.append(f"失踪{missing}人≥{c.missing_min}")
        g = GRADE_NUMBERS[c.grade]
        if hits and (best is None or g < best):
            best, why = g, "、".join(hits)
    return best, why


def _raise(
    grade: int, to: int, reasons: list[Reason], code: str, message: str, *, or_equal: bool = False
) -> int:
    """Move to a more severe grade (a smaller number) and say why; never the other way. With `or_equal`, a
    criterion met at the grade already reached is recorded too: the statutory casualty table is the reason a
    duty office cites for a grade, whatever else reached it first."""
    if to < grade or (or_equal and to == grade):
        reasons.append(Reason(code, f"{message} → {GRADE_LABELS[to]}", to))
        return to
    return grade


def _calmly_reported(s: Signals, p: GradingPolicy) -> tuple[str, ...]:
    """The factual hazards (an explosion, a collapse) of an event that opens however calmly it is reported:
    empty unless the posts are above the advice floor, and the most-named one is in hazard_open_min_posts
    posts and factual_hazard_min_share of them. One calm bulletin (a fire brigade's 火情通报) is information
    the government has already given, not public opinion; one comment saying 火灾 in a 600-post thread about
    house prices is not a fire."""
    named_by = dict(s.hazard_posts)
    factual = tuple(h for h in s.hazards if h in p.factual_hazards)
    most = max((named_by.get(h, 0) for h in factual), default=0)
    about = most >= p.hazard_open_min_posts and most >= p.factual_hazard_min_share * s.posts
    return factual if about and s.negative_share >= p.factual_hazard_min_negative else ()


def _opening(
    s: Signals, p: GradingPolicy, corroborated: bool, casualties: bool
) -> tuple[list[Reason], tuple[str, ...]]:
    """Why the event opens, and the 险情 among those reasons."""
    why: list[Reason] = []
    named: tuple[str, ...] = ()
    negative = s.negative_share >= p.open_min_negative
    enough = s.posts >= p.open_min_posts
    if s.heat >= p.open_min_heat and enough and negative:
        why.append(
            Reason(
                "open_heat",
                f"热度{s.heat:.0f}≥{p.open_min_heat:g}，{s.posts}条，负面占比{s.negative_share:.0%}",
            )
        )
    vouched = bool(s.official_posts or s.media_posts)
    if casualties and p.open_on_casualties and (s.posts >= p.casualty_open_min_posts or vouched):
        counts = (("死亡", s.deaths), ("受伤", s.injured), ("失踪", s.missing))
        said = "、".join(f"{label}{n}人" for label, n in counts if n)
        why.append(Reason("open_casualties", f"出现伤亡（{said or '人数未报'}）"))
    # An everyday hazard word (疫情, 暴雨) in calm posts is no incident; in angry or alarmed ones it is, and
    # one government or media post is enough.
    discussed = s.posts >= p.hazard_open_min_posts
    factual = _calmly_reported(s, p)
    if s.hazards and ((negative and (discussed or vouched)) or factual):
        named = s.hazards if negative else factual
        why.append(Reason("open_hazard", f"险情：{'、'.join(named[:5])}，负面占比{s.negative_share:.0%}"))
    if s.bursting and negative and enough:
        why.append(Reason("open_burst", "负面讨论突增（爆发）"))
    if corroborated and negative and enough:
        why.append(Reason("open_corroborated", f"{len(s.channels)}个渠道同时出现：{'、'.join(s.channels)}"))
    if not named and any(r.code == "open_casualties" for r in why):
        named = s.hazards  # the casualties came from something: a calmly reported earthquake is still one
    return why, named


def grade_event(s: Signals, p: GradingPolicy, criteria: Sequence[CasualtyCriterion]) -> Decision:
    """Grade from heat, burst, hazards, corroboration; casualty counts can only raise it."""
    reasons: list[Reason] = []
    grade = 4
    for name in ("III", "II", "I"):
        limit = p.heat_grade.get(name)
        if limit is not None and s.heat >= limit:
            grade = _raise(grade, GRADE_NUMBERS[name], reasons, "heat", f"热度{s.heat:.0f}≥{limit:g}")
    if s.bursting:
        grade = _raise(grade, GRADE_NUMBERS[p.burst_raises_to], reasons, "burst", "讨论量爆发")
    if s.hazards and p.hazard_raises_to is not None:
        grade = _raise(
            grade, GRADE_NUMBERS[p.hazard_raises_to], reasons, "hazard", f"险情：{'、'.join(s.hazards[:5])}"
        )
    corroborated = len(set(s.channels)) >= p.corroboration_sources
    if corroborated:
        cap = GRADE_NUMBERS[p.corroboration_raises_to]
        target = max(grade - 1, cap)
        grade = _raise(grade, target, reasons, "corroborated", f"{len(set(s.channels))}个渠道互相印证")
    graded = s.injured if s.serious is None else s.serious
    told = graded != s.injured  # the posts say how many of the injured were badly hurt
    by_counts, why = casualty_grade(s.deaths, graded, s.missing, criteria, hurt="重伤" if told else "受伤")
    if by_counts is not None:
        grade = _raise(grade, by_counts, reasons, "casualties", f"伤亡分级标准：{why}", or_equal=True)
    if s.casualty_grade is not None and 1 <= s.casualty_grade <= 4:
        grade = _raise(grade, s.casualty_grade, reasons, "casualties_analysis", "文本分析的伤亡分级")
    if not reasons:
        reasons.append(Reason("base", f"未达更高分级条件 → {GRADE_LABELS[4]}", 4))
    casualties = by_counts is not None or s.casualty_grade is not None or s.deaths + s.injured + s.missing > 0
    open_reasons, hazards = _opening(s, p, corroborated, casualties)
    if open_reasons and p.require_local_region and not s.local:
        held = Reason("not_local", "未提及本市辖区地名，也非本地信息源：作为事件留存，不立案")
        return Decision(False, grade, tuple(reasons), (), (held,))
    return Decision(bool(open_reasons), grade, tuple(reasons), tuple(open_reasons), hazards=hazards)


def upgrade_to(current: int, decision: Decision) -> int | None:
    """The new grade if the decision is more severe than the current one; never a downgrade."""
    return decision.grade if decision.grade < current else None
