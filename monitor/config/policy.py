"""City-wide policy (`responders/_policy.yaml`): statutory clocks, 12345 limits, grading criteria."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from monitor.config.types import STRICT, Duration

GradeName = Literal["I", "II", "III", "IV"]
GRADES: tuple[GradeName, ...] = ("I", "II", "III", "IV")
ClockKind = Literal["statement", "press_conference", "response", "hotline"]


class ClockRule(BaseModel):
    """A legal clock: which evidence satisfies it, how long it runs, when to warn."""

    model_config = STRICT

    kind: ClockKind
    within: Duration
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

    within: Duration
    working_hours: bool = False


class HotlinePolicy(BaseModel):
    """12345 time limits per urgency (local configuration) and the risk words that escalate."""

    model_config = STRICT

    limits: dict[str, Duration] = Field(min_length=1)
    default_urgency: str = "一般"
    risk_words: tuple[str, ...] = ()
    open_incident_urgencies: tuple[str, ...] = ("紧急",)

    @field_validator("default_urgency")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        return v


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

    workday_start: str = "08:30"
    workday_end: str = "17:30"
    holidays: tuple[date, ...] = ()
    makeup_workdays: tuple[date, ...] = ()


def _default_heat_grades() -> dict[GradeName, float]:
    return {"III": 200.0, "II": 1000.0}


class GradingPolicy(BaseModel):
    """Thresholds that turn signals into an incident grade; the defaults suit a prefecture-level city."""

    model_config = STRICT

    open_min_heat: float = 30.0
    open_min_posts: int = 3
    open_min_negative: float = 0.55
    heat_grade: dict[GradeName, float] = Field(default_factory=_default_heat_grades)
    burst_raises_to: GradeName = "III"
    corroboration_sources: int = 3
    # corroboration by that many channels raises one grade, up to this one
    corroboration_raises_to: GradeName = "II"
    hazard_raises_to: GradeName | None = "III"
    hazard_open_min_posts: int = 2
    open_on_casualties: bool = True
    casualty_open_min_posts: int = 2  # or one post by a government or media account
    # open only events about this city: a place in the region tree, a source with a region, or 12345
    require_local_region: bool = True


class Policy(BaseModel):
    """The whole `_policy.yaml`."""

    model_config = STRICT

    timezone: str = "Asia/Shanghai"
    clocks: ClocksPolicy
    internal_targets: dict[str, InternalTarget] = Field(default_factory=dict)
    hotline: HotlinePolicy
    casualty_criteria: tuple[CasualtyCriterion, ...] = Field(min_length=1)
    grading: GradingPolicy = Field(default_factory=GradingPolicy)
    calendar: Calendar = Field(default_factory=Calendar)
    repeat_interval: Duration = timedelta(hours=1)
