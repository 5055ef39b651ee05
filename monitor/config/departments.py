"""One responder department per YAML file: jurisdiction, owned domains, people, channels, escalation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from monitor.config.policy import GRADES, GradeName
from monitor.config.types import STRICT, EnvName, PositiveDuration

PersonRole = Literal["duty_officer", "head", "leader", "press_office", "admin", "observer"]
ChannelKind = Literal[
    "dingtalk", "wecom", "feishu", "email", "sms", "voice", "webhook", "alertmanager", "capture"
]
DepartmentKind = Literal["department", "duty_desk", "press_office"]
Level = Literal["province", "city", "district", "county", "town"]

TARGET_PREFIXES = ("person:", "role:", "channel:")
PERSON_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class Channel(BaseModel):
    """A group destination (chat robot, mailing list, webhook); secrets are env-var names."""

    model_config = STRICT

    kind: ChannelKind
    url_env: EnvName | None = None
    secret_env: EnvName | None = None
    base_url: str | None = None
    to: str | None = None
    rate_per_minute: int | None = Field(default=None, ge=1)
    fallback: str | None = None


class Contact(BaseModel):
    """How to reach one person: a channel kind and an address (phone, e-mail) or a named group channel."""

    model_config = STRICT

    kind: ChannelKind
    to: str | None = None
    channel: str | None = None


class Person(BaseModel):
    """A responder with a role; the id is what tokens and one-click links are bound to."""

    model_config = STRICT

    id: str = Field(pattern=PERSON_ID_PATTERN)
    name: str = Field(min_length=1)
    role: PersonRole
    title: str = ""
    contacts: tuple[Contact, ...] = ()


class EscalationStep(BaseModel):
    """Who to notify, how long to wait for an acknowledgement, and what happens next."""

    model_config = STRICT

    notify: tuple[str, ...] = Field(min_length=1)
    ack_timeout: PositiveDuration
    then: Literal["escalate", "repeat"] = "escalate"

    @field_validator("notify")
    @classmethod
    def _targets(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for target in v:
            if not target.startswith(TARGET_PREFIXES):
                raise ValueError(f"target {target!r} must start with person:, role: or channel:")
        return v


class Escalation(BaseModel):
    """Chains per grade; a grade without its own chain uses `default`."""

    model_config = STRICT

    default: tuple[EscalationStep, ...] = Field(min_length=1)
    I: tuple[EscalationStep, ...] | None = None  # noqa: E741 - grade names are the domain's
    II: tuple[EscalationStep, ...] | None = None
    III: tuple[EscalationStep, ...] | None = None
    IV: tuple[EscalationStep, ...] | None = None

    def for_grade(self, grade: GradeName) -> tuple[EscalationStep, ...]:
        chain: tuple[EscalationStep, ...] | None = getattr(self, grade)
        return chain if chain is not None else self.default

    def all_steps(self) -> list[tuple[str, int, EscalationStep]]:
        out: list[tuple[str, int, EscalationStep]] = []
        for name in ("default", *GRADES):
            chain: tuple[EscalationStep, ...] | None = getattr(self, name)
            for i, step in enumerate(chain or ()):
                out.append((name, i, step))
        return out


class Department(BaseModel):
    """The whole of one `responders/<id>.yaml`."""

    model_config = STRICT

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    short_name: str = ""
    # other names the 12345 platform dispatches orders to (承办单位: 云江水务集团, 市水务局): such an order's
    # incident is this department's to lead
    aliases: tuple[str, ...] = ()
    kind: DepartmentKind = "department"
    level: Level = "city"
    parent: str | None = None
    regions: tuple[str, ...] = Field(min_length=1)
    vertical: bool = False
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    channels: dict[str, Channel] = Field(default_factory=dict)
    people: tuple[Person, ...] = Field(min_length=1)
    escalation: Escalation

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def people_with_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]
