"""Wakeups across processes: PostgreSQL NOTIFY tells other workers' idle pipeline stages of new work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import asyncpg

from monitor.db.pool import CONNECT_TIMEOUT_S, is_unavailable
from monitor.metrics import Metrics
from monitor.worker import MAX_DB_BACKOFF_S, Wakeup, backoff_delay

log = logging.getLogger(__name__)
CHANNEL = "yuqing_wake"
# The first reconnect comes after 0.25–0.5 s, then the wait doubles up to the jobs' own cap (5 s).
RECONNECT_BASE_S = 0.25
# A listening connection that has been silent this long must answer a ping: a dropped network path sends
# no close, and without the ping the listener would stay deaf until the kernel gave up on the socket.
PING_INTERVAL_S = 30.0
PING_TIMEOUT_S = 5.0
SEND_TIMEOUT_S = 5.0
RELEASE_TIMEOUT_S = 2.0  # each of UNLISTEN and the pool's reset; stopping waits for both
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class WakeNotice:
    """One notification: who sent it (None when unknown) and which kinds of work appeared."""

    origin: str | None
    work: tuple[str, ...]


def wake_payload(origin: str, work: Iterable[str]) -> str:
    """The NOTIFY payload for `work` that appeared in the process `origin` (pure)."""
    return json.dumps({"origin": origin, "work": sorted(set(work))}, ensure_ascii=False)


def parse_wake(payload: str) -> WakeNotice:
    """A payload as a notice (pure). Anything else (empty, hand-written `NOTIFY yuqing_wake`) is a wake
    from an unknown sender: it still wakes the stages, which cost one pass that may find nothing."""
    try:
        document: Any = json.loads(payload)
    except (ValueError, RecursionError):
        return WakeNotice(None, ())
    if not isinstance(document, dict):
        return WakeNotice(None, ())
    origin = document.get("origin")
    work = document.get("work")
    return WakeNotice(
        origin if isinstance(origin, str) else None,
        tuple(w for w in work if isinstance(w, str)) if isinstance(work, list) else (),
    )


def expected_failure(exc: BaseException) -> bool:
    """Whether a failure is the database being away or slow (logged as one line) rather than a bug
    (logged once with its traceback) (pure)."""
    return is_unavailable(exc) or isinstance(exc, TimeoutError)


def wakes_here(notice: WakeNotice, origin: str) -> bool:
    """Whether a notice should nudge this process's stages (pure): not when this process sent it, since
    `Wakeup.work_appeared` already nudged them locally."""
    return notice.origin != origin


class WakeBus:
    """Tells the other processes when work appeared here, and turns their notices into local nudges.

    While it runs, `wakeup.announce` points at `announce`, so `Wakeup.work_appeared` reaches every process.
    Announcements are coalesced: at most one NOTIFY is in flight, and everything announced meanwhile goes
    out as the next one. The listener holds one pool connection with LISTEN; when it is lost it reconnects
    with backoff (one log line per outage) and then nudges the local stages once, for what it missed.
    Nothing depends on a notice arriving: the stages' idle intervals still bound the delay.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        wakeup: Wakeup,
        *,
        name: str,
        listen: bool = True,
        rng: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._wakeup = wakeup
        self._listen = listen
        self._rng = rng
        # `name` says who sent a notice; the token tells apart two processes given the same name.
        self.origin = f"{name}/{secrets.token_hex(4)}"
        self._pending: set[str] = set()
        self._has_pending = asyncio.Event()
        self._send_failing = False
        self._outage = 0  # failed listen attempts since the last success; a lost connection is the first
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()  # set while LISTEN is active on a live connection
        self.server_pid: int | None = None  # the listening connection's backend, for operators and tests

    async def __aenter__(self) -> WakeBus:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def start(self) -> None:
        self._wakeup.announce = self.announce
        self._tasks.append(asyncio.create_task(self._send_forever(), name="wake:send"))
        if self._listen:
            self._tasks.append(asyncio.create_task(self._listen_forever(), name="wake:listen"))

    async def stop(self) -> None:
        """Stop sending and listening; bounded even when the database does not answer."""
        if self._wakeup.announce == self.announce:
            self._wakeup.announce = None
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
        self._tasks.clear()

    def announce(self, work: str) -> None:
        """Queue a notice that `work` appeared here; it goes out with whatever else is announced meanwhile."""
        self._pending.add(work)
        self._has_pending.set()

    async def _send_forever(self) -> None:
        while True:
            await self._has_pending.wait()
            self._has_pending.clear()
            work, self._pending = self._pending, set()
            await self._send(work)

    async def _send(self, work: set[str]) -> None:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S), self._pool.acquire() as conn:
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, wake_payload(self.origin, work))
        except Exception as exc:  # a lost notice costs an idle interval, never a failure
            self._count("send_failed")
            if not self._send_failing:
                self._send_failing = True
                log.warning(
                    "wake notices: cannot send (%s: %s); other processes' stages wait out their idle "
                    "intervals until the database answers",
                    type(exc).__name__, exc, exc_info=not expected_failure(exc),
                )  # fmt: skip
            return
        self._count("sent")
        if self._send_failing:
            self._send_failing = False
            log.info("wake notices: sending again")

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen_once()
            except Exception as exc:
                self._outage += 1
                if self._outage == 1:
                    self._count("listener_lost")
                    log.warning(
                        "wake listener: not listening (%s: %s); reconnecting in the background, and until "
                        "then this worker's idle stages wait out their intervals",
                        type(exc).__name__, exc, exc_info=not expected_failure(exc),
                    )  # fmt: skip
            await asyncio.sleep(backoff_delay(self._outage, RECONNECT_BASE_S, MAX_DB_BACKOFF_S, self._rng()))

    async def _listen_once(self) -> None:
        """LISTEN on one pool connection until it is lost (then raise)."""
        lost = asyncio.Event()

        def closed(_conn: object) -> None:
            lost.set()

        conn: asyncpg.Connection | None = None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                conn = await self._pool.acquire()
                conn.add_termination_listener(closed)
                await conn.add_listener(CHANNEL, self._on_notify)
            self.server_pid = conn.get_server_pid()
            self.listening.set()
            if self._outage:
                log.info("wake listener: listening again after %d failed attempts", self._outage)
                self._outage = 0
                self._wakeup.nudge()  # notices sent while this listener was away are lost
            await self._hold(conn, lost)
        finally:
            self.listening.clear()
            self.server_pid = None
            if conn is not None:
                await self._release(conn, closed)

    async def _release(self, conn: asyncpg.Connection, closed: Callable[[object], None]) -> None:
        """UNLISTEN, and back to the pool; the pool drops a connection that is closed or does not answer
        (asyncpg then raises, or the proxy refuses further calls: both are ignored)."""
        with contextlib.suppress(Exception):
            conn.remove_termination_listener(closed)  # the pool's reset keeps termination listeners
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                await conn.remove_listener(CHANNEL, self._on_notify)
        with contextlib.suppress(Exception):
            await self._pool.release(conn, timeout=RELEASE_TIMEOUT_S)

    async def _hold(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(lost.wait(), PING_INTERVAL_S)
            except TimeoutError:
                await conn.fetchval("SELECT 1", timeout=PING_TIMEOUT_S)  # raises when the path is gone
                continue
            raise ConnectionError("the listening connection was closed")

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        notice = parse_wake(payload)
        if wakes_here(notice, self.origin):
            self._count("received")
            self._wakeup.nudge(kinds=notice.work or None)  # a notice naming no work wakes every stage
        else:
            self._count("own")

    def _count(self, event: str) -> None:
        if self._metrics is not None:
            self._metrics.wake_notices.labels(event=event).inc()
