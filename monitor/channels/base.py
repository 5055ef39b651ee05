"""The responder-channel protocol: a Notice goes to a Destination; errors say whether to retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Severity = Literal["info", "warning", "critical"]
ClockPhase = Literal["running", "overdue", "met", "closed"]
ErrorKind = Literal["transient", "throttled", "permanent", "auth", "config", "too_large"]


class ChannelError(Exception):
    """A failed send. `retryable` decides retry-with-backoff versus fall back to another route."""

    def __init__(
        self, reason: str, *, retryable: bool, kind: ErrorKind | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.kind: ErrorKind = kind or ("transient" if retryable else "permanent")
        self.retry_after = retry_after


def transient(reason: str, retry_after: float | None = None) -> ChannelError:
    """Timeouts, 5xx, vendor 'system busy': retry with backoff."""
    return ChannelError(reason, retryable=True, kind="transient", retry_after=retry_after)


def throttled(reason: str, retry_after: float | None = None) -> ChannelError:
    """429 or a vendor rate-limit code: retry later."""
    return ChannelError(reason, retryable=True, kind="throttled", retry_after=retry_after)


def permanent(reason: str, kind: ErrorKind = "permanent") -> ChannelError:
    """Bad signature, unknown robot, malformed message: don't retry this route."""
    return ChannelError(reason, retryable=False, kind=kind)


@dataclass(frozen=True)
class Destination:
    """Where one message goes, resolved at send time from the current config (secrets from the env)."""

    kind: str
    key: str  # identity for rate limits, digests and the attempt log; never a secret
    label: str = ""
    to: str | None = None
    url: str | None = None
    secret: str | None = None
    base_url: str | None = None
    rate_per_minute: int | None = None
    person_id: str | None = None  # the person this route reaches, for personal links
    members: tuple[str, ...] = ()  # people reached through a group channel
    url_env: str | None = None  # the variable `url` comes from, named when it is missing (never the value)
    secret_env: str | None = None  # the variable `secret` comes from (`yuqing notify-test --dry-run`)


def not_configured(what: str, dest: Destination) -> ChannelError:
    """A destination without its URL: the error names the variable to set, so the timeline says the fix."""
    if dest.url_env:
        return permanent(f"{what} not configured: set {dest.url_env} (or {dest.url_env}_FILE)", "config")
    return permanent(f"{what} not configured", "config")


@dataclass(frozen=True)
class ClockLine:
    """One clock as shown in a message."""

    label: str
    due_at: datetime
    phase: ClockPhase
    remaining_s: float


@dataclass(frozen=True)
class Link:
    """A button or link: our own URL (signed), never post text."""

    label: str
    url: str


@dataclass(frozen=True)
class Notice:
    """A channel-neutral message. Post-derived text (title, summary, lines) is raw: channels escape it."""

    key: str
    event: str
    headline: str
    title: str
    severity: Severity = "warning"
    incident_id: int | None = None
    grade: int | None = None
    grade_label: str = ""
    colour: str = ""
    department: str = ""  # the department this message pages
    # when that department does not lead: its role (协办, 统筹, 知会) and the lead's name
    role: str = ""
    lead: str = ""
    summary: str = ""
    lines: tuple[str, ...] = ()
    clocks: tuple[ClockLine, ...] = ()
    links: tuple[Link, ...] = ()
    items: tuple[Notice, ...] = field(default=())  # a digest's merged messages


def responsibility(notice: Notice, colon: str = "：") -> str:
    """`责任单位：应急管理局` for the lead; `协办单位：水务局（主办：应急管理局）` for a department paged
    to help, so it does not take the matter for its own (raw text: each channel escapes it)."""
    if not notice.lead:
        return f"责任单位{colon}{notice.department}"
    return f"{notice.role or '相关'}单位{colon}{notice.department}（主办{colon}{notice.lead}）"


class Channel(Protocol):
    """One vendor protocol. `send` returns on success and raises ChannelError otherwise."""

    kind: str
    max_bytes: int

    async def send(self, notice: Notice, dest: Destination) -> None:
        """Deliver `notice` (split or summarised to fit) to `dest`."""
        ...
