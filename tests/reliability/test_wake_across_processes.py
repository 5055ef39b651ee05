"""Wakeups across processes: work stored by one worker wakes the idle stages of the others through
PostgreSQL NOTIFY, and the listener rides out lost connections and outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from monitor.app import run_service
from monitor.clock import FakeClock
from monitor.db.embedded import start_embedded
from monitor.db.pool import DatabaseUnavailable, connect, create_pool
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.wake import (
    CHANNEL,
    WakeBus,
    WakeNotice,
    expected_failure,
    parse_wake,
    wake_payload,
    wakes_here,
)
from monitor.worker import Wakeup
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "push-token-for-tests"
ORDER = {
    "order_no": "YJ20260601000999",
    "received_at": "2026-06-01T07:40:00+08:00",
    "category": "环境保护",
    "title": "临港化工园区异味",
    "content": "园区附近有刺鼻气味",
}
WAIT_S = 5.0  # every wait for a notice is bounded by this
OUTAGE_WAIT_S = 15.0  # after an outage the listener retries within its backoff cap (5 s) plus jitter


@dataclass
class CountingWakeup(Wakeup):
    nudges: int = 0

    def nudge(self, but: asyncio.Event | None = None, kinds: Iterable[str] | None = None) -> None:
        self.nudges += 1
        super().nudge(but, kinds)


@dataclass
class Worker:
    """What one worker process has: its pool, its wakeup with one registered stage, and its bus."""

    pool: asyncpg.Pool
    wakeup: CountingWakeup
    stage: asyncio.Event
    bus: WakeBus
    metrics: Metrics

    def counted(self, event: str) -> float:
        return self.metrics.registry.get_sample_value("yuqing_wake_notices_total", {"event": event}) or 0.0


@asynccontextmanager
async def worker(dsn: str, name: str, *, listen: bool = True) -> AsyncIterator[Worker]:
    pool = await create_pool(dsn, max_size=3)
    try:
        wakeup = CountingWakeup()
        stage = wakeup.register()
        metrics = Metrics()
        async with WakeBus(pool, wakeup, name=name, listen=listen, metrics=metrics) as bus:
            if listen:
                await asyncio.wait_for(bus.listening.wait(), WAIT_S)
            yield Worker(pool, wakeup, stage, bus, metrics)
    finally:
        await asyncio.wait_for(pool.close(), WAIT_S)  # hangs if the listener kept its connection


async def woken(stage: asyncio.Event, within: float = WAIT_S) -> None:
    await asyncio.wait_for(stage.wait(), within)
    stage.clear()


@pytest.mark.parametrize(
    ("payload", "notice"),
    [
        ('{"origin": "w1/ab", "work": ["analyse", "group"]}', WakeNotice("w1/ab", ("analyse", "group"))),
        ("", WakeNotice(None, ())),  # a bare `NOTIFY yuqing_wake`
        ("hello", WakeNotice(None, ())),
        ("[1, 2]", WakeNotice(None, ())),
        ('{"origin": 7, "work": "intake"}', WakeNotice(None, ())),
        ('{"work": ["intake", 3]}', WakeNotice(None, ("intake",))),
    ],
)
def test_payloads_are_read_leniently(payload: str, notice: WakeNotice) -> None:
    assert parse_wake(payload) == notice


def test_a_payload_round_trips_and_only_others_notices_wake() -> None:
    notice = parse_wake(wake_payload("host:1/ab", ["group", "analyse", "group"]))
    assert notice == WakeNotice("host:1/ab", ("analyse", "group"))
    assert not wakes_here(notice, "host:1/ab")
    assert wakes_here(notice, "host:2/cd")
    assert wakes_here(parse_wake(""), "host:1/ab")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DatabaseUnavailable("cannot connect"), True),
        (ConnectionError("the listening connection was closed"), True),
        (TimeoutError(), True),  # a ping or a send that the database did not answer in time
        (ValueError("a bug"), False),
    ],
)
def test_only_unexpected_failures_get_a_traceback(exc: Exception, expected: bool) -> None:
    assert expected_failure(exc) is expected


async def test_work_in_one_worker_wakes_the_others_stages_but_not_its_own_twice(
    db_url: str, pool: asyncpg.Pool
) -> None:
    async with worker(db_url, "a") as a, worker(db_url, "b") as b:
        assert a.bus.server_pid != b.bus.server_pid

        a.wakeup.work_appeared("intake")  # e.g. worker A stored a 12345 push
        await woken(a.stage)  # at once, locally
        await woken(b.stage)  # through NOTIFY
        assert (a.wakeup.nudges, b.wakeup.nudges) == (1, 1)

        b.wakeup.work_appeared("analyse")
        await woken(a.stage)
        await woken(b.stage)

        # Notices are delivered in commit order, so once this later one arrived, A's own earlier notice
        # has been seen by A's listener, which must not have nudged A's stages a second time.
        await pool.execute("SELECT pg_notify($1, '')", CHANNEL)
        await woken(a.stage)
        await woken(b.stage)
        assert (a.wakeup.nudges, b.wakeup.nudges) == (3, 3)
        # each sent one notice, heard its own (ignored) and the other's and the bare one
        for w in (a, b):
            assert [w.counted(e) for e in ("sent", "own", "received", "send_failed")] == [1, 1, 2, 0]


async def test_a_burst_of_work_is_one_notice_and_a_web_process_only_sends(
    db_url: str, pool: asyncpg.Pool
) -> None:
    listener = await connect(db_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: heard.put_nowait(payload))
    try:
        async with worker(db_url, "web", listen=False) as web, worker(db_url, "b") as b:
            assert web.bus.server_pid is None and not web.bus.listening.is_set()
            for i in range(100):  # many pushes stored before the sender gets a turn
                web.wakeup.work_appeared("intake" if i % 2 else "analyse")
            await woken(b.stage)
            await pool.execute("SELECT pg_notify($1, 'marker')", CHANNEL)  # committed after the burst
            payloads = [await asyncio.wait_for(heard.get(), WAIT_S)]
            while payloads[-1] != "marker":
                payloads.append(await asyncio.wait_for(heard.get(), WAIT_S))
            assert [parse_wake(p) for p in payloads[:-1]] == [
                WakeNotice(web.bus.origin, ("analyse", "intake"))
            ]
            await woken(b.stage)  # the marker
            assert b.wakeup.nudges == 2, "one nudge for the whole burst, one for the marker"
    finally:
        await listener.close()


async def test_the_listener_reconnects_after_its_connection_is_killed(
    db_url: str, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    async with worker(db_url, "a") as a, worker(db_url, "b") as b:
        killed = b.bus.server_pid
        with caplog.at_level(logging.INFO, logger="monitor.wake"):
            assert await pool.fetchval("SELECT pg_terminate_backend($1)", killed)
            await woken(b.stage)  # listening again: one nudge for whatever it missed meanwhile
            assert b.bus.listening.is_set() and b.bus.server_pid not in (None, killed)
            assert b.wakeup.nudges == 1

            a.wakeup.work_appeared("group")
            await woken(b.stage)
            assert b.wakeup.nudges == 2
            assert (b.counted("listener_lost"), a.counted("listener_lost")) == (1, 0)
        records = [r for r in caplog.records if r.name == "monitor.wake"]
        assert [r.levelname for r in records] == ["WARNING", "INFO"], [r.getMessage() for r in records]
        assert "not listening" in records[0].getMessage()
        assert "listening again" in records[1].getMessage()
        assert not any(r.exc_info for r in records), "a lost connection is no traceback"


async def test_a_database_outage_is_one_line_each_then_wakeups_resume(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = await asyncio.to_thread(start_embedded, tmp_path / "pgdata")
    try:
        async with worker(server.uri, "a") as a, worker(server.uri, "b") as b:
            with caplog.at_level(logging.INFO, logger="monitor.wake"):
                await asyncio.to_thread(server.stop)
                a.wakeup.work_appeared("analyse")  # cannot be sent: dropped, the interval covers it
                await woken(a.stage)
                await asyncio.sleep(2.0)  # the outage: several reconnect attempts fail meanwhile
                assert not b.bus.listening.is_set()
                server = await asyncio.to_thread(start_embedded, tmp_path / "pgdata")
                await woken(b.stage, OUTAGE_WAIT_S)  # listening again, with a nudge for what it missed
                b.stage.clear()
                await asyncio.wait_for(a.bus.listening.wait(), OUTAGE_WAIT_S)

                a.wakeup.work_appeared("analyse")
                await woken(b.stage)
                # B may hear the notice before A's sender has resumed to say it is sending again.
                await asyncio.wait_for(_until_logged(caplog, "wake notices: sending again"), WAIT_S)
            records = [r for r in caplog.records if r.name == "monitor.wake"]
            lines = [f"{r.levelname} {r.getMessage()}" for r in records]
            assert sum("wake listener: not listening" in line for line in lines) == 2, lines  # a and b
            assert sum("wake listener: listening again" in line for line in lines) == 2, lines
            assert sum("wake notices: cannot send" in line for line in lines) == 1, lines
            assert sum("wake notices: sending again" in line for line in lines) == 1, lines
            assert len(lines) == 6, lines
            assert not any(r.exc_info for r in records), "an outage is no traceback"
    finally:
        await asyncio.to_thread(server.stop)


async def test_stopping_is_bounded_and_leaves_nothing_behind(db_url: str, pool: asyncpg.Pool) -> None:
    wakeup = Wakeup()
    bus_pool = await create_pool(db_url, max_size=2)
    try:
        bus = WakeBus(bus_pool, wakeup, name="a")
        bus.start()
        assert wakeup.announce == bus.announce
        await asyncio.wait_for(bus.listening.wait(), WAIT_S)
        assert await _listening_sessions(pool) == 1
        bus.announce("analyse")
        await asyncio.wait_for(bus.stop(), WAIT_S)
        assert wakeup.announce is None and not bus.listening.is_set()
        wakeup.work_appeared("intake")  # after stop: local only, nothing raised
    finally:
        await asyncio.wait_for(bus_pool.close(), WAIT_S)  # the listener gave its connection back
    assert await _listening_sessions(pool) == 0


def _settings(db_url: str, tmp_path: Path, role: str, port: int) -> Settings:
    sources = tmp_path / f"sources-{role}.yaml"
    push = "  - {id: hotline-push, kind: hotline, name: 12345 推送, push: true, token_env: HOTLINE_TOKEN}\n"
    sources.write_text("sources:\n" + push, encoding="utf-8")
    return Settings.from_env(
        env={"DATABASE_URL": db_url, "YUQING_ANALYSIS_PROCESSES": "0", "HOTLINE_TOKEN": TOKEN},
        sources_path=sources,
        responders_path=ROOT / "responders",
        listen=("127.0.0.1", port),
        role=role,
    )


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[str]:
    """`yuqing run` in this event loop until the block ends; yields its base URL once it answers."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, FakeClock(), stop))
    base = f"http://127.0.0.1:{settings.listen[1]}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):  # bounded wait for the HTTP listener (not for work)
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    assert not task.done(), "the service stopped"
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the service never listened")
        yield base
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_push_to_a_web_only_process_wakes_a_workers_stages(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """`--role web` runs no stages, so its 12345 intake must reach the workers' stages over NOTIFY."""
    async with worker(db_url, "b") as b, service(_settings(db_url, tmp_path, "web", free_port())) as base:
        assert await _listening_sessions(pool) == 1  # only the test's worker: a web process does not listen
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{base}/api/v1/intake/hotline", json=ORDER, headers=headers) as resp,
        ):
            assert resp.status == 201, await resp.text()
        await woken(b.stage)
        assert b.wakeup.nudges == 1


async def test_a_worker_process_listens_while_it_runs(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with service(_settings(db_url, tmp_path, "worker", free_port())):
        await asyncio.wait_for(_until_listening(pool), WAIT_S)
        assert await _listening_sessions(pool) == 1
    assert await _listening_sessions(pool) == 0


async def _listening_sessions(pool: asyncpg.Pool) -> int:
    """Sessions of this database whose last statement was the wake LISTEN (pg_stat_activity)."""
    found: int = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
        f'LISTEN "{CHANNEL}"',
    )
    return found


async def _until_listening(pool: asyncpg.Pool) -> None:
    while not await _listening_sessions(pool):
        await asyncio.sleep(0.05)


async def _until_logged(caplog: pytest.LogCaptureFixture, text: str) -> None:
    while not any(text in r.getMessage() for r in caplog.records):
        await asyncio.sleep(0.01)
