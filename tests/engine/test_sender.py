"""The sender against a DingTalk look-alike: rate limit, digests, backoff, fallback and failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import asyncpg
import pytest

from monitor.channels.base import Destination
from monitor.channels.capture import CaptureChannel
from monitor.channels.dingtalk import DingTalkChannel
from monitor.channels.registry import KINDS, ChannelSet
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine import store
from monitor.engine.auditor import Auditor
from monitor.engine.tick import Engine
from monitor.links import LinkSigner
from monitor.outbox.sender import Sender
from tests.channels.fakes import FakeDingTalk, serve
from tests.engine.helpers import open_incident

GROUP = "channel:yingji/group"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def sender_for(
    pool, clock, responders, session, base: str, fake: FakeDingTalk, **kw
) -> tuple[Sender, CaptureChannel]:  # type: ignore[no-untyped-def]
    capture = CaptureChannel(clock, pool)
    channels = {kind: capture for kind in KINDS}
    channels["dingtalk"] = DingTalkChannel(session, clock)  # type: ignore[assignment]
    env = {
        "YQ_YINGJI_DINGTALK_URL": f"{base}/robot/send?access_token={fake.token}",
        "YQ_YINGJI_DINGTALK_SECRET": fake.secret or "",
    }
    links = LinkSigner(b"s", "https://yq.example")
    sender = Sender(pool, clock, responders, ChannelSet(channels), links=links, env=env, worker_id="t", **kw)
    return sender, capture


async def flood(pool: asyncpg.Pool, iid: int, n: int, clock: FakeClock, prefix: str = "a") -> None:
    rows = [
        store.OutboxRow(f"test:{prefix}:{i}", GROUP, "page", iid, {"event": "page", "reason": "opened"})
        for i in range(n)
    ]
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM outbox WHERE status = 'pending'")
        await store.queue(conn, rows, clock.now())


async def send_only(pool, clock, responders, session, fake, rows: list[store.OutboxRow]) -> int:  # type: ignore[no-untyped-def]
    """Queue exactly these rows (the incidents' own opening pages dropped) and run one sender pass."""
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM outbox")
        await store.queue(conn, rows, clock.now())
    async with serve(fake.app()) as base:
        sender, _ = sender_for(pool, clock, responders, session, base, fake)
        return await sender.send_due(clock.now())


async def test_rate_limit_and_digest(pool, clock: FakeClock, responders: Responders, session) -> None:
    fake = FakeDingTalk(clock)
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=2)
    async with serve(fake.app()) as base:
        # storm: many messages for one robot at once become one digest
        await flood(pool, iid, 30, clock)
        sender, _ = sender_for(pool, clock, responders, session, base, fake)
        assert await sender.send_due(clock.now()) == 30
        assert fake.requests == 1
        text = fake.received[0]["markdown"]["text"]
        assert (
            "汇总：30条待处理通知" in text and text.count("](https://yq.example/l/") == 30
        )  # each item's link
        statuses = [r["status"] for r in await pool.fetch("SELECT status FROM outbox ORDER BY id")]
        assert statuses.count("sent") == 1 and statuses.count("merged") == 29

        # digests only when the budget runs out: robots are paced at 5 per 15 s (and 20 per minute),
        # so 4 single messages go and the other 21 merge into one digest in the last slot
        clock.advance(120)
        fake.received.clear()
        fake.received_at.clear()
        await flood(pool, iid, 25, clock, "b")
        sender, capture = sender_for(pool, clock, responders, session, base, fake, digest_min=1000)
        await sender.send_due(clock.now())
        assert len(fake.received) == 5 and "汇总：21条" in fake.received[-1]["markdown"]["text"]
        # the window is full: group messages wait for it (the robot never answers 130101); a person whose
        # first contact is that robot moves on to their next contact at once
        await flood(pool, iid, 3, clock, "c")
        async with pool.acquire() as conn:
            duty = store.OutboxRow("test:p", "person:yingji.duty", "page", iid, {})
            await store.queue(conn, [duty], clock.now())
        await sender.send_due(clock.now())
        waiting = await pool.fetch("SELECT next_attempt_at, attempts FROM outbox WHERE status = 'pending'")
        assert len(waiting) == 4 and all(r["attempts"] == 0 for r in waiting)
        assert sorted(r["next_attempt_at"] for r in waiting)[-1] == clock.now() + timedelta(seconds=15)
        await sender.send_due(clock.now())  # the person, on their SMS
        assert capture.captured[-1].dest_key == "sms:+8613835350001"
        assert await sender.send_due(clock.now() + timedelta(seconds=10)) == 0
        clock.advance(15)
        await sender.send_due(clock.now())
        assert len(fake.received) == 8 and fake.requests == 1 + 8  # 3 more singles; never a 130101
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'merged')") == 0


async def test_transient_failure_backs_off_with_jitter(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    fake = FakeDingTalk(clock, down_until=clock.now() + timedelta(hours=1))
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
        await conn.execute("DELETE FROM outbox WHERE target <> $1", GROUP)
    async with serve(fake.app()) as base:
        sender, _ = sender_for(pool, clock, responders, session, base, fake)
        await sender.send_due(clock.now())
        row = await pool.fetchrow("SELECT * FROM outbox")
        assert row["status"] == "pending" and row["route"] == 0 and row["last_error_kind"] == "transient"
        wait = (row["next_attempt_at"] - clock.now()).total_seconds()
        assert 2.5 <= wait <= 5.0
        clock.set(row["next_attempt_at"])
        await sender.send_due(clock.now())
        row = await pool.fetchrow("SELECT * FROM outbox")
        assert 5.0 <= (row["next_attempt_at"] - clock.now()).total_seconds() <= 10.0
    attempts = await pool.fetch("SELECT outcome FROM outbox_attempts ORDER BY id")
    assert [a["outcome"] for a in attempts] == ["retry", "retry"]
    notes = await pool.fetch(
        "SELECT detail FROM timeline WHERE incident_id = $1 AND kind = 'notification'", iid
    )
    assert [n["detail"]["outcome"] for n in notes] == ["retry", "retry"]


async def test_permanent_failure_falls_back_at_once(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    fake = FakeDingTalk(clock, secret="SECthe-real-one")
    async with pool.acquire() as conn:
        await open_incident(conn, responders, clock.now(), grade=3)
        await conn.execute("DELETE FROM outbox WHERE target <> $1", GROUP)
    async with serve(fake.app()) as base:
        sender, capture = sender_for(pool, clock, responders, session, base, fake)
        sender.env["YQ_YINGJI_DINGTALK_SECRET"] = "SECstale"  # rotated at DingTalk, not here → 310000
        await sender.send_due(clock.now())
        row = await pool.fetchrow("SELECT * FROM outbox")
        assert row["route"] == 1 and row["status"] == "pending" and "310000" in row["last_error"]
        await sender.send_due(clock.now())
    row = await pool.fetchrow("SELECT * FROM outbox")
    assert row["status"] == "sent" and row["sent_via"] == "channel:yingji/mail"  # the group's `fallback`
    assert capture.captured[-1].kind == "email"


async def test_unroutable_fails_and_the_duty_desk_hears(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
        await conn.execute("DELETE FROM outbox")
        await store.queue(conn, [store.OutboxRow("test:x", "person:nobody", "page", iid, {})], clock.now())
    fake = FakeDingTalk(clock)
    async with serve(fake.app()) as base:
        sender, capture = sender_for(pool, clock, responders, session, base, fake)
        await sender.send_due(clock.now())
        assert await pool.fetchval("SELECT status FROM outbox") == "failed"
        findings = await Auditor(pool, clock).audit(clock.now())
        assert [f.kind for f in findings] == ["notification_failed"]
        await Engine(pool, clock, None, responders).tick(clock.now())  # turns the ops alert into messages
        ops = await pool.fetch("SELECT target FROM outbox WHERE event = 'ops'")
        assert {r["target"] for r in ops} >= {"channel:zhengfuban/group", "person:zhengfuban.admin"}
        await sender.send_due(clock.now())
    assert any("系统告警" in c.title for c in capture.captured)


async def test_one_message_per_step_when_two_targets_share_a_destination(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    """The duty officer's first contact is the department group; paging both must not post twice."""
    fake = FakeDingTalk(clock)
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
    rows = [
        store.OutboxRow("test:step1", "person:yingji.duty", "page", iid, {"event": "page"}),
        store.OutboxRow("test:step1", GROUP, "page", iid, {"event": "page"}),
        store.OutboxRow("test:step2", GROUP, "page", iid, {"event": "page", "reason": "escalated"}),
    ]
    assert await send_only(pool, clock, responders, session, fake, rows) == 3
    # step 1 once (its two rows: one sent, one merged), step 2 once: two posts to the group, no digest
    assert fake.requests == 2
    assert all("汇总" not in json.dumps(m, ensure_ascii=False) for m in fake.received)
    statuses = sorted(r["status"] for r in await pool.fetch("SELECT status FROM outbox"))
    assert statuses == ["merged", "sent", "sent"]


async def test_a_message_carries_the_event_as_it_is_when_sent(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    """The incident's summary is a snapshot from its opening; a later page says what the event is now."""
    fake = FakeDingTalk(clock)
    async with pool.acquire() as conn:
        grown = await open_incident(conn, responders, clock.now(), grade=3)
        lone = await open_incident(conn, responders, clock.now(), grade=3, title="无事件的工单")
        event = await conn.fetchval(
            """INSERT INTO events (title, first_seen_at, last_seen_at, post_count, channels, negative_share,
                                   heat, state, created_at, updated_at)
               VALUES ('化工厂爆燃', $1, $1, 5, '{weibo,news}', 0.32, 54.4, '{}'::jsonb, $1, $1)
               RETURNING id""",
            clock.now(),
        )
        await conn.execute("UPDATE incidents SET event_id = $2 WHERE id = $1", grown, event)
    rows = [store.OutboxRow(f"test:now:{i}", GROUP, "page", i, {"event": "page"}) for i in (grown, lone)]
    assert await send_only(pool, clock, responders, session, fake, rows) == 2
    sent = json.dumps(fake.received, ensure_ascii=False)
    assert "5条 · 新闻、微博 · 热度54 · 负面32%" in sent  # the event now
    assert sent.count("网传某化工厂发生爆燃") == 1  # the stored summary: only the incident without an event


class _SlowChannel:
    """A channel whose first request hangs until released, while the test moves the clock on."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (sender label, destination)
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.label = ""

    async def send(self, notice: object, dest: Destination) -> None:
        label = self.label
        if not self.started.is_set():
            self.started.set()
            await self.release.wait()
        self.sent.append((label, dest.key))


def two_rows(iid: int, run: str) -> list[store.OutboxRow]:
    return [
        store.OutboxRow(f"test:slow{run}:{t}", f"channel:{t}/mail", "page", iid, {"event": "page"})
        for t in ("yingji", "shuiwu")
    ]


async def test_a_slow_pass_keeps_its_leases_and_never_sends_a_row_taken_over(
    pool, clock: FakeClock, responders: Responders
) -> None:
    """A pass renews its leases before each request; a row whose lease lapsed and went to another sender is
    dropped from the slow pass instead of reaching its destination twice."""
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
        await conn.execute("DELETE FROM outbox WHERE status = 'pending'")
        await store.queue(conn, two_rows(iid, "1"), clock.now())
    slow = _SlowChannel()
    channels = ChannelSet({kind: slow for kind in KINDS})  # type: ignore[misc]

    def sender(worker: str) -> Sender:
        return Sender(pool, clock, responders, channels, worker_id=worker, lease_s=60, concurrency=1)

    async def run_a() -> int:
        slow.label = "a"
        return await sender("a").send_due(clock.now())

    # 1. the first request takes 20 s: before the second, A renews, so B (at +70 s) finds nothing to take
    a = asyncio.create_task(run_a())
    await asyncio.wait_for(slow.started.wait(), 10)
    clock.advance(20)
    slow.release.set()
    assert await asyncio.wait_for(a, 10) == 2
    assert sorted(d for _, d in slow.sent) == ["channel:shuiwu/mail", "channel:yingji/mail"]

    # 2. a request that outlives the lease: B takes both rows over and sends them; A must not send its second
    async with pool.acquire() as conn:
        await store.queue(conn, two_rows(iid, "2"), clock.now())
    slow.sent.clear()
    slow.started.clear()
    slow.release.clear()
    a = asyncio.create_task(run_a())
    await asyncio.wait_for(slow.started.wait(), 10)
    clock.advance(70)
    slow.label = "b"
    assert await sender("b").send_due(clock.now()) == 2
    slow.label = "a"
    slow.release.set()
    await asyncio.wait_for(a, 10)
    by_dest: dict[str, list[str]] = {}
    for who, dest in slow.sent:
        by_dest.setdefault(dest, []).append(who)
    # the row A had in flight when its lease lapsed goes twice (unavoidable: we prefer a duplicate to a
    # miss); the one A had not started goes once, from B
    assert sorted(len(v) for v in by_dest.values()) == [1, 2]
    assert [v for v in by_dest.values() if len(v) == 1] == [["b"]]
    lost = await pool.fetchval("SELECT count(*) FROM outbox_attempts WHERE outcome = 'lease_lost'")
    assert lost == 1


async def test_a_supporting_department_is_told_it_supports_and_who_leads(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    fake = FakeDingTalk(clock)
    departments = [("yingji", "lead"), ("shengtai", "support")]
    async with pool.acquire() as conn:
        await open_incident(conn, responders, clock.now(), grade=3, departments=departments)
    async with serve(fake.app()) as base:
        sender, capture = sender_for(pool, clock, responders, session, base, fake)
        await sender.send_due(clock.now())
    # messages name departments without the city's name
    to_support = [c.body for c in capture.captured if "生态环境局" in c.body]
    assert to_support and all("协办单位：生态环境局（主办：应急管理局）" in b for b in to_support)
    assert not any("责任单位" in b for b in to_support)
    # the lead's own robot message says it is responsible
    texts = [m[m["msgtype"]]["text"] for m in fake.received]  # an actionCard (with buttons) or markdown
    assert texts and all("责任单位：应急管理局" in t for t in texts)


async def test_the_duty_desk_is_told_why_an_unclaimed_incident_is_its_own(
    pool, clock: FakeClock, responders: Responders, session
) -> None:
    fake = FakeDingTalk(clock)
    why = "主管部门不明：云江市住房和城乡建设局仅凭推测（主管领域“城乡建设”·置信0.13） → 总值班研判，可改派"
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3, lead="zhengfuban")
        await conn.execute("UPDATE incidents SET route_reasons = $2 WHERE id = $1", iid, ["属地不明", why])
    async with serve(fake.app()) as base:
        sender, capture = sender_for(pool, clock, responders, session, base, fake)
        await sender.send_due(clock.now())
    bodies = [c.body for c in capture.captured]
    assert bodies and all(why in b for b in bodies)
