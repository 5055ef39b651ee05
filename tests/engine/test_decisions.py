"""Escalation decisions (pure, table tests): steps, repeat, loop, ack hold and reminder, escalate-now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.engine.decisions import ChainStep, EscalationState, acknowledge, next_action, start, step_key

T0 = datetime(2026, 6, 1, tzinfo=UTC)
CHAIN = (
    ChainStep(("person:duty", "channel:d/group"), 900.0),
    ChainStep(("person:head",), 1800.0),
    ChainStep(("person:leader",), 3600.0, "repeat"),
)
ESCALATE_LAST = (*CHAIN[:2], ChainStep(("person:leader",), 3600.0, "escalate"))


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def st(**kw: object) -> EscalationState:
    return replace(EscalationState(next_action_at=m(15)), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "chain", "now", "action", "step", "attempt", "loop", "next_at", "targets"),
    [
        (st(), CHAIN, m(14), "none", 0, 0, 0, m(15), ()),
        (st(), CHAIN, m(15), "page", 1, 0, 0, m(45), ("person:head",)),
        (st(step=1, next_action_at=m(45)), CHAIN, m(45), "page", 2, 0, 0, m(105), ("person:leader",)),
        (st(step=2, next_action_at=m(105)), CHAIN, m(106), "page", 2, 1, 0, m(165), ("person:leader",)),
        (
            st(step=2, next_action_at=m(105)),
            ESCALATE_LAST,
            m(105),
            "page",
            0,
            0,
            1,
            m(120),
            ("person:duty", "channel:d/group"),
        ),
        # late processing keeps the schedule anchored to the due time, but never in the past
        (st(next_action_at=m(15)), CHAIN, m(50), "page", 1, 0, 0, m(50), ("person:head",)),
    ],
)
def test_next_action(
    state: EscalationState,
    chain: tuple[ChainStep, ...],
    now: datetime,
    action: str,
    step: int,
    attempt: int,
    loop: int,
    next_at: datetime,
    targets: tuple[str, ...],
) -> None:
    d = next_action(state, chain, now, satisfied=False)
    assert (d.action, d.state.step, d.state.attempt, d.state.loop_count) == (action, step, attempt, loop)
    assert d.state.next_action_at == next_at
    assert d.targets == targets


def test_start_pages_step_zero() -> None:
    d = start(CHAIN, T0)
    assert d.action == "page" and d.targets == CHAIN[0].notify and d.state.next_action_at == m(15)


def test_ack_holds_then_reminds_the_same_step_then_escalates() -> None:
    acked = acknowledge(st(step=1, next_action_at=m(45)), m(20), 3600.0)
    assert acked.acked and acked.next_action_at == m(80)
    assert next_action(acked, CHAIN, m(50), satisfied=False).action == "none"
    reminder = next_action(acked, CHAIN, m(80), satisfied=False)
    assert (reminder.action, reminder.reason, reminder.state.step, reminder.state.attempt) == (
        "reminder",
        "ack_expired",
        1,
        1,
    )
    assert not reminder.state.acked and reminder.state.next_action_at == m(110)
    assert next_action(reminder.state, CHAIN, m(110), satisfied=False).state.step == 2


def test_satisfied_chain_is_done_even_when_acked() -> None:
    d = next_action(acknowledge(st(), m(1), 3600), CHAIN, m(61), satisfied=True)
    assert d.action == "done" and d.state.done and d.state.next_action_at is None


def test_escalate_now_advances_at_once_even_when_acked() -> None:
    forced = replace(acknowledge(st(), m(1), 3600), force=True)
    d = next_action(forced, CHAIN, m(2), satisfied=False)
    assert (d.action, d.reason, d.state.step, d.state.acked) == ("page", "forced", 1, False)
    assert d.state.next_action_at == m(32)


def test_shorter_chain_after_regrade_continues_from_its_last_step() -> None:
    d = next_action(st(step=2, next_action_at=m(15)), CHAIN[:2], m(15), satisfied=False)
    assert (d.action, d.state.step, d.state.loop_count) == ("page", 0, 1)


def test_step_keys_differ_per_page() -> None:
    a = step_key(7, "yingji", EscalationState())
    b = step_key(7, "yingji", EscalationState(attempt=1))
    c = step_key(7, "yingji", EscalationState(revision=1))
    assert len({a, b, c}) == 3
