"""Escalation as a pure function: given a chain's state and the time, what to do next (GoAlert-style)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

ActionKind = Literal["none", "page", "reminder", "done"]


@dataclass(frozen=True)
class ChainStep:
    """One step of a frozen chain: targets, how long to wait for an ack, then `escalate` or `repeat`."""

    notify: tuple[str, ...]
    ack_timeout_s: float
    then: str = "escalate"

    @classmethod
    def parse_chain(cls, raw: Sequence[Mapping[str, Any]]) -> tuple[ChainStep, ...]:
        """From the policy snapshot's `chains[<dept>]` list."""
        return tuple(
            cls(tuple(str(t) for t in s["notify"]), float(s["ack_timeout_s"]), str(s.get("then", "escalate")))
            for s in raw
        )


@dataclass(frozen=True)
class EscalationState:
    """One department's chain on one incident, as stored in `escalations`."""

    step: int = 0
    loop_count: int = 0
    attempt: int = 0
    revision: int = 0
    acked: bool = False
    ack_expires_at: datetime | None = None
    force: bool = False
    next_action_at: datetime | None = None
    done: bool = False


@dataclass(frozen=True)
class Decision:
    """What the engine does: page/remind `targets` of `step`, then wake again at `next_action_at`."""

    action: ActionKind
    state: EscalationState
    reason: str = ""
    targets: tuple[str, ...] = ()


def start(chain: Sequence[ChainStep], now: datetime, revision: int = 0, reason: str = "opened") -> Decision:
    """A new (or restarted) chain pages its first step at once; `reason`: opened, or regraded (an upgrade
    restarted it)."""
    if not chain:
        return Decision("done", EscalationState(revision=revision, done=True), "empty chain")
    state = EscalationState(revision=revision, next_action_at=now + timedelta(seconds=chain[0].ack_timeout_s))
    return Decision("page", state, reason, chain[0].notify)


def _later(due: datetime, seconds: float, now: datetime) -> datetime:
    """Keep the schedule anchored to when the step was due, but never in the past."""
    return max(due + timedelta(seconds=seconds), now)


def _advance(
    chain: Sequence[ChainStep], state: EscalationState, due: datetime, now: datetime, reason: str
) -> Decision:
    """Move to the next step, or round to step 0 when the chain is exhausted (the chain repeats)."""
    step, loop = state.step + 1, state.loop_count
    if step >= len(chain):
        step, loop = 0, loop + 1
        reason = reason if reason == "forced" else "loop"
    nxt = replace(
        state,
        step=step,
        loop_count=loop,
        attempt=0,
        acked=False,
        ack_expires_at=None,
        force=False,
        next_action_at=_later(due, chain[step].ack_timeout_s, now),
    )
    return Decision("page", nxt, reason, chain[step].notify)


def next_action(
    state: EscalationState,
    chain: Sequence[ChainStep],
    now: datetime,
    *,
    satisfied: bool,
) -> Decision:
    """The decision for a due (or forced) chain. `satisfied`: every legal clock met, or incident closed."""
    if state.done:
        return Decision("none", state)
    if satisfied or not chain:
        return Decision("done", replace(state, done=True, next_action_at=None, force=False), "satisfied")
    if state.step >= len(chain):  # the chain got shorter (regrade): carry on from its last step
        state = replace(state, step=len(chain) - 1)
    due = state.next_action_at or now
    if state.force:
        return _advance(chain, state, now, now, "forced")
    if due > now:
        return Decision("none", state)
    current = chain[state.step]
    if state.acked:
        expires = state.ack_expires_at or due
        if expires > now:
            return Decision("none", replace(state, next_action_at=expires))
        # Auto-unack: the ack has held for the hold time and the clocks still run, so remind the same step.
        nxt = replace(
            state,
            acked=False,
            ack_expires_at=None,
            attempt=state.attempt + 1,
            next_action_at=_later(expires, current.ack_timeout_s, now),
        )
        return Decision("reminder", nxt, "ack_expired", current.notify)
    if current.then == "repeat":
        nxt = replace(
            state, attempt=state.attempt + 1, next_action_at=_later(due, current.ack_timeout_s, now)
        )
        return Decision("page", nxt, "repeat", current.notify)
    return _advance(chain, state, due, now, "unacknowledged")


def acknowledge(state: EscalationState, now: datetime, ack_hold_s: float) -> EscalationState:
    """An ack stops re-paging of the current step until the hold expires (then a reminder)."""
    expires = now + timedelta(seconds=ack_hold_s)
    return replace(state, acked=True, ack_expires_at=expires, next_action_at=expires, force=False)


def step_key(incident_id: int, department: str, state: EscalationState) -> str:
    """Identifies one page of one step: the idempotency key is this plus the target."""
    return (
        f"esc:{incident_id}:{department}:r{state.revision}:l{state.loop_count}:s{state.step}:a{state.attempt}"
    )
