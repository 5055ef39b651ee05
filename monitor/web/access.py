"""Who may see and do what: pure authorisation rules over a person, an incident's departments and region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.config.responders import Responders

ACTIONS = (
    "ack",
    "statement",
    "press_conference",
    "respond",
    "resolve",
    "reassign",
    "add_support",
    "note",
    "escalate_now",
)


def url_segment(action: str) -> str:
    """An action's path segment (press_conference → press-conference); the engine reads either."""
    return action.replace("_", "-")


# path segment → action, for the API's paths and the console's forms alike
ACTION_BY_SEGMENT: dict[str, str] = {url_segment(a): a for a in ACTIONS}
CLOSED_STATES = frozenset({"resolved", "reviewed"})
_EVIDENCE_AND_PAGING = frozenset({"ack", "statement", "press_conference", "respond", "note", "escalate_now"})
_WATCH = frozenset({"ack", "note", "escalate_now"})


@dataclass(frozen=True)
class Principal:
    """The signed-in person: role and department from responders/, jurisdiction as region ids."""

    person_id: str
    name: str
    role: str
    department_id: str
    department_name: str
    department_kind: str
    title: str
    jurisdiction: frozenset[str]
    covers_city: bool

    @property
    def sees_by_region(self) -> bool:
        """Duty officers and observers see every incident of their government level (their jurisdiction)."""
        return self.role in ("duty_officer", "observer")


@dataclass(frozen=True)
class IncidentScope:
    """What access decisions need to know about one incident."""

    region: str | None
    departments: Mapping[str, str]  # department id → 'lead' | 'support' | 'coordinator' | 'informed'
    state: str
    grade: int


@dataclass(frozen=True)
class Visibility:
    """The incident-list restriction for a person: everything, or these departments and regions."""

    everything: bool
    departments: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    unknown_region: bool = False


@dataclass(frozen=True)
class Denial:
    """Why an action is refused: a machine-readable code and a Chinese message."""

    error: str
    message: str


def principal_for(responders: Responders, person_id: str) -> Principal | None:
    """The person from responders/, or None if they are no longer configured (their tokens stop working)."""
    hit = responders.people.get(person_id)
    if hit is None:
        return None
    dept, person = hit
    regions = set(dept.regions)
    for region in responders.regions.values():
        if any(r.id in dept.regions for r in responders.region_chain(region.id)):
            regions.add(region.id)
    covers_city = responders.city.id in regions
    return Principal(
        person_id=person.id,
        name=person.name,
        role=person.role,
        department_id=dept.id,
        department_name=dept.display_name,
        department_kind=dept.kind,
        title=person.title,
        jurisdiction=frozenset(regions),
        covers_city=covers_city,
    )


def visibility(p: Principal) -> Visibility:
    """Admins see everything; duty officers and observers their jurisdiction; others their department."""
    if p.role == "admin":
        return Visibility(everything=True)
    if p.sees_by_region:
        return Visibility(
            everything=False,
            departments=frozenset({p.department_id}),
            regions=p.jurisdiction,
            unknown_region=p.covers_city,
        )
    return Visibility(everything=False, departments=frozenset({p.department_id}))


def relation(p: Principal, scope: IncidentScope) -> str:
    """'lead', 'involved', 'jurisdiction' or 'none': how the person's department stands to the incident."""
    role = scope.departments.get(p.department_id)
    if role == "lead":
        return "lead"
    if role is not None:
        return "involved"
    if p.sees_by_region:
        in_region = scope.region in p.jurisdiction if scope.region else p.covers_city
        if in_region:
            return "jurisdiction"
    return "none"


def can_view(p: Principal, scope: IncidentScope) -> bool:
    """Whether the incident is visible to this person at all."""
    return p.role == "admin" or relation(p, scope) != "none"


def permitted(p: Principal, scope: IncidentScope, action: str) -> Denial | None:
    """None if the person may take `action` on the incident (state aside), else why not."""
    if action not in ACTIONS:
        return Denial("bad_request", f"未知操作 {action}")
    if p.role == "admin":
        return None
    if p.role == "observer":
        return Denial("read_only", "观察员账号只读，不能执行操作")
    rel = relation(p, scope)
    if rel == "none":
        return Denial("not_your_department", "该事件不属于本部门，无权查看或操作")
    if rel == "lead":
        return None
    # the duty desk dispatches: 改派 and 加派协办 on any incident it can see
    duty_desk_extra = {"reassign", "add_support"} if p.department_kind == "duty_desk" else set()
    allowed = (_EVIDENCE_AND_PAGING if rel == "involved" else _WATCH) | duty_desk_extra
    if action in allowed:
        return None
    return Denial("not_your_department", "只有主办部门可以执行此操作")


def plausible(scope: IncidentScope, action: str, clock_kinds: frozenset[str]) -> bool:
    """Whether the incident's state makes the action worth offering (the engine has the final word)."""
    if scope.state in CLOSED_STATES:
        return action == "note"
    if action == "ack":
        return scope.state == "open"
    if action == "press_conference":
        return "press_conference" in clock_kinds or scope.grade <= 2
    return action in ACTIONS


def allowed_actions(p: Principal, scope: IncidentScope, clock_kinds: frozenset[str]) -> list[str]:
    """The buttons to show this person on this incident, in a stable order."""
    return [a for a in ACTIONS if permitted(p, scope, a) is None and plausible(scope, a, clock_kinds)]
