"""Pages after an acknowledgement's hold ran out say what is missing: the action, not the acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.lifecycle import record_action
from monitor.outbox.render import headline
from tests.engine.helpers import drive, make_workers, open_incident


@pytest.mark.parametrize(
    ("reason", "before", "after"),
    [
        ("repeat", "重复提醒：尚未确认接报", "重复提醒：已确认接报，法定时限仍未完成"),
        ("unacknowledged", "升级通知：上一级未按时确认", "升级通知：已确认接报，但未按时履职"),
        ("loop", "再次通知：仍未确认，升级链重新开始", "再次通知：已确认接报仍未履职，升级链重新开始"),
        ("opened", "新舆情事件，请确认接报", "新舆情事件，请确认接报"),  # a restarted chain asks again
        ("regraded", "事件升级，请确认接报", "事件升级，请确认接报"),  # without its grades
        ("ack_expired", "提醒：已确认接报，但法定时限仍在运行", "提醒：已确认接报，但法定时限仍在运行"),
    ],
)
def test_headline_after_an_acknowledgement(reason: str, before: str, after: str) -> None:
    payload = {"event": "page", "reason": reason}
    assert headline(payload)[0] == before
    assert headline(payload, acknowledged=True)[0] == after


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ({"old_grade": 3, "new_grade": 2}, "事件升级：Ⅲ级 较大 → Ⅱ级 重大，请确认接报"),
        ({"old_grade": 4, "new_grade": 1}, "事件升级：Ⅳ级 一般 → Ⅰ级 特别重大，请确认接报"),
        ({"old_grade": 3}, "事件升级，请确认接报"),
        ({"old_grade": "3", "new_grade": 9}, "事件升级，请确认接报"),
    ],
)
def test_an_upgrade_page_names_the_grades(grades: dict[str, object], expected: str) -> None:
    payload = {"event": "page", "reason": "regraded", **grades}
    assert headline(payload)[0] == expected
    assert headline(payload, acknowledged=True)[0] == expected  # the graver incident needs a new ack


async def test_a_department_that_acknowledged_is_not_told_it_has_not(
    pool, clock: FakeClock, responders: Responders
) -> None:
    workers, capture = make_workers(pool, clock, responders)
    async with pool.acquire() as conn:
        iid = await open_incident(
            conn, responders, clock.now(), grade=3, departments=[("yingji", "lead"), ("weijian", "support")]
        )
    await drive(pool, clock, workers, clock.now() + timedelta(minutes=5))
    async with pool.acquire() as conn, conn.transaction():
        await record_action(conn, iid, "ack", "yingji.duty", clock.now(), {})
    await drive(pool, clock, workers, clock.now() + timedelta(hours=6))
    chains = {r["department_id"]: r for r in await pool.fetch("SELECT * FROM escalations")}
    assert chains["yingji"]["acked_at"] is None and chains["yingji"]["acked_by"] == "yingji.duty"
    yingji, weijian = (
        [c.title for c in capture.captured if c.key.startswith(f"esc:{iid}:{dept}:")]
        for dept in ("yingji", "weijian")
    )
    assert yingji[0].startswith("新舆情事件，请确认接报") and len(yingji) > 3
    # the hold ran out: a reminder, then the chain goes on, and every page says the department did acknowledge
    assert yingji[1].startswith("提醒：已确认接报，但法定时限仍在运行")
    assert all("已确认接报" in t for t in yingji[1:])
    assert any(t.startswith("升级通知：已确认接报，但未按时履职") for t in yingji)
    assert any(t.startswith("重复提醒：已确认接报，法定时限仍未完成") for t in yingji)
    # the supporting department never acknowledged: its pages still say so
    assert any(t.startswith("重复提醒：尚未确认接报") for t in weijian)


async def test_a_restarted_chain_forgets_the_acknowledgement(
    pool, clock: FakeClock, responders: Responders
) -> None:
    """A regrade to Ⅱ restarts the chain: the department must acknowledge the graver incident again."""
    from monitor.engine.lifecycle import on_grade_changed

    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
        async with conn.transaction():
            await record_action(conn, iid, "ack", "yingji.duty", clock.now(), {})
        assert await conn.fetchval("SELECT acked_by FROM escalations WHERE incident_id = $1", iid)
        async with conn.transaction():
            await conn.execute("UPDATE incidents SET grade = 2 WHERE id = $1", iid)
            await on_grade_changed(conn, iid, 3, 2, clock.now())
        row = await conn.fetchrow("SELECT revision, acked_by FROM escalations WHERE incident_id = $1", iid)
    assert row["revision"] == 1 and row["acked_by"] is None


async def test_an_upgrade_re_pages_as_an_upgrade_and_a_downgrade_pages_nobody_again(
    pool, clock: FakeClock, responders: Responders
) -> None:
    """Those already paged about the incident are told it got graver, not that it is new."""
    from monitor.engine.lifecycle import on_grade_changed

    workers, capture = make_workers(pool, clock, responders)
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
    await drive(pool, clock, workers, clock.now() + timedelta(minutes=1))
    first = [c.title for c in capture.captured if c.key.startswith(f"esc:{iid}:yingji:r0:")]
    assert first and all(t.startswith("新舆情事件，请确认接报") for t in first)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE incidents SET grade = 2 WHERE id = $1", iid)
        await on_grade_changed(conn, iid, 3, 2, clock.now())
    await drive(pool, clock, workers, clock.now() + timedelta(minutes=1))
    again = [c.title for c in capture.captured if c.key.startswith(f"esc:{iid}:yingji:r1:")]
    assert again and all(t.startswith("事件升级：Ⅲ级 较大 → Ⅱ级 重大，请确认接报") for t in again)
    entry = await pool.fetchrow(
        """SELECT detail FROM timeline WHERE incident_id = $1 AND kind = 'escalation'
           AND detail->>'reason' = 'regraded'""",
        iid,
    )
    assert entry["detail"]["old_grade"] == 3 and entry["detail"]["new_grade"] == 2
    sent = len(capture.captured)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE incidents SET grade = 3 WHERE id = $1", iid)
        await on_grade_changed(conn, iid, 2, 3, clock.now())
    await drive(pool, clock, workers, clock.now() + timedelta(minutes=1))
    assert not any("事件升级" in c.title or "新舆情事件" in c.title for c in list(capture.captured)[sent:])
