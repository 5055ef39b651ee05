"""City-wide policy (`responders/_policy.yaml`): statutory clocks, 12345 limits, grading criteria."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from monitor.config.types import STRICT, PositiveDuration
from monitor.text.severity import load_hazards

GradeName = Literal["I", "II", "III", "IV"]
GRADES: tuple[GradeName, ...] = ("I", "II", "III", "IV")
ClockKind = Literal["statement", "press_conference", "response", "hotline"]


class ClockRule(BaseModel):
    """A legal clock: which evidence satisfies it, how long it runs, when to warn."""

    model_config = STRICT

    kind: ClockKind
    within: PositiveDuration
    warn_at: tuple[float, ...] = (0.5, 0.8)
    label: str = ""

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in v):
            raise ValueError("warning points are fractions strictly between 0 and 1")
        return tuple(sorted(v))


class ClocksPolicy(BaseModel):
    """Clocks per grade (国办发〔2016〕80号 / 61号 defaults) and where they start."""

    model_config = STRICT

    I: tuple[ClockRule, ...]  # noqa: E741 - grade names are the domain's
    II: tuple[ClockRule, ...]
    III: tuple[ClockRule, ...]
    IV: tuple[ClockRule, ...]
    start_from: Literal["opened", "first_seen"] = "opened"

    def for_grade(self, grade: GradeName) -> tuple[ClockRule, ...]:
        rules: tuple[ClockRule, ...] = getattr(self, grade)
        return rules


class InternalTarget(BaseModel):
    """A non-statutory target (e.g. acknowledge within 15 minutes), optionally in working time."""

    model_config = STRICT

    within: PositiveDuration
    working_hours: bool = False


class HotlinePolicy(BaseModel):
    """12345 time limits per urgency (local configuration) and the risk words that escalate."""

    model_config = STRICT

    limits: dict[str, PositiveDuration] = Field(min_length=1)
    default_urgency: str = "一般"
    risk_words: tuple[str, ...] = ()
    open_incident_urgencies: tuple[str, ...] = ("紧急",)

    @field_validator("default_urgency")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        return v

    @model_validator(mode="after")
    def _known_urgencies(self) -> Self:
        known = ", ".join(self.limits)
        if self.default_urgency not in self.limits:
            raise ValueError(f"default_urgency {self.default_urgency!r} is not one of limits ({known})")
        unknown = [u for u in self.open_incident_urgencies if u not in self.limits]
        if unknown:
            raise ValueError(f"open_incident_urgencies {unknown} are not among limits ({known})")
        return self


class CasualtyCriterion(BaseModel):
    """One row of the grading table: the grade reached at or above these counts (国务院令493号)."""

    model_config = STRICT

    grade: GradeName
    deaths_min: int | None = Field(default=None, ge=0)
    injured_min: int | None = Field(default=None, ge=0)
    missing_min: int | None = Field(default=None, ge=0)


class Calendar(BaseModel):
    """Working time for internal targets: office hours, public holidays and make-up workdays (调休)."""

    model_config = STRICT

    workday_start: str = Field(default="08:30", pattern=r"^\d{2}:\d{2}$")
    workday_end: str = Field(default="17:30", pattern=r"^\d{2}:\d{2}$")
    holidays: tuple[date, ...] = ()
    makeup_workdays: tuple[date, ...] = ()

    @field_validator("workday_start", "workday_end")
    @classmethod
    def _clock_time(cls, v: str) -> str:
        try:
            time.fromisoformat(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a time of day (HH:MM, 00:00 to 23:59)") from None
        return v

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.workday_end <= self.workday_start:
            raise ValueError(
                f"workday_end {self.workday_end} must be after workday_start {self.workday_start}"
            )
        return self


def _default_heat_grades() -> dict[GradeName, float]:
    return {"III": 200.0, "II": 1000.0}


class GradingPolicy(BaseModel):
    """Thresholds that turn signals into an incident grade; the defaults suit a prefecture-level city."""

    model_config = STRICT

    open_min_heat: float = Field(default=30.0, ge=0)
    open_min_posts: int = Field(default=3, ge=1)
    open_min_negative: float = Field(default=0.55, ge=0, le=1)  # a probability
    heat_grade: dict[GradeName, float] = Field(default_factory=_default_heat_grades)
    burst_raises_to: GradeName = "III"
    corroboration_sources: int = Field(default=3, ge=1)
    # corroboration by that many channels raises one grade, up to this one
    corroboration_raises_to: GradeName = "II"
    hazard_raises_to: GradeName | None = "III"
    hazard_open_min_posts: int = Field(default=2, ge=1)
    # 险情 that open an incident when reported calmly: news and police report an explosion, a collapse or a
    # stabbing in a neutral tone (most such reports score 0.1-0.45 negative), so these need only
    # factual_hazard_min_negative, under which a post reads as advice (防火小知识 scores below 0.1). The other
    # 险情 are everyday words (疫情, 暴雨, 冲突, 追尾 in a traffic bulletin) and still need open_min_negative.
    # Measured in bench/hazards_bench.py.
    factual_hazards: tuple[str, ...] = (
        "爆炸", "坍塌", "火灾", "中毒", "泄漏", "踩踏", "矿难", "溺水", "暴力伤人"
    )  # fmt: skip
    factual_hazard_min_negative: float = Field(default=0.1, ge=0, le=1)  # a probability
    # ... and the hazard must be named by this share of the event's posts (and by hazard_open_min_posts)
    factual_hazard_min_share: float = Field(default=0.3, ge=0, le=1)
    open_on_casualties: bool = True
    casualty_open_min_posts: int = Field(default=2, ge=1)  # or one post by a government or media account
    # open only events about this city: a place in the region tree, a source with a region, or 12345
    require_local_region: bool = True

    @field_validator("factual_hazards")
    @classmethod
    def _known_hazards(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        known = [h.name for h in load_hazards()]
        unknown = [name for name in v if name not in known]
        if unknown:
            raise ValueError(f"unknown 险情 {', '.join(unknown)}; the hazard table has: {', '.join(known)}")
        return v

    @field_validator("heat_grade")
    @classmethod
    def _rising_heat(cls, v: dict[GradeName, float]) -> dict[GradeName, float]:
        if any(h <= 0 for h in v.values()):
            raise ValueError("heat thresholds must be above 0")
        ordered = [v[g] for g in reversed(GRADES) if g in v]  # Ⅳ … Ⅰ: a graver grade needs more heat
        if ordered != sorted(ordered):
            raise ValueError("a graver grade must need at least as much heat as a lighter one")
        return v


# The shortest retention accepted: grouping's window is 72 h, and the weekly report reads the last week.
MIN_RETENTION = timedelta(days=8)
MAX_RETENTION = timedelta(days=36500)  # a century; longer is `null` (keep everything)


class RetentionPolicy(BaseModel):
    """How long monitoring data is kept (monitor/retention). Incidents, everything they rest on and 12345
    work orders are kept whatever this says."""

    model_config = STRICT

    # Events without an incident whose last post is older than this go, with their posts and analysis;
    # null keeps everything.
    posts: PositiveDuration | None = timedelta(days=180)

    @field_validator("posts")
    @classmethod
    def _long_enough(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v < MIN_RETENTION:
            raise ValueError(
                f"must be at least {MIN_RETENTION.days}d: grouping looks back 72h and the weekly report "
                "a week (null keeps everything)"
            )
        if v is not None and v > MAX_RETENTION:
            raise ValueError(f"must be at most {MAX_RETENTION.days}d; null keeps everything")
        return v


class Policy(BaseModel):
    """The whole `_policy.yaml`."""

    model_config = STRICT

    timezone: str = "Asia/Shanghai"  # of the working-time calendar and the reports
    clocks: ClocksPolicy
    internal_targets: dict[str, InternalTarget] = Field(default_factory=dict)
    hotline: HotlinePolicy
    casualty_criteria: tuple[CasualtyCriterion, ...] = Field(min_length=1)
    grading: GradingPolicy = Field(default_factory=GradingPolicy)
    calendar: Calendar = Field(default_factory=Calendar)
    repeat_interval: PositiveDuration = timedelta(hours=1)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (an IANA name such as Asia/Shanghai)") from None
        return v
