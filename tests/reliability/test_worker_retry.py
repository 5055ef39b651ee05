"""The worker's retry rules: bounded, jittered backoff, and a lost database told apart from a bug."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.db.pool import DatabaseUnavailable, is_unavailable
from monitor.worker import MAX_BACKOFF_S, MAX_DB_BACKOFF_S, Job, backoff_delay, run_job


@pytest.mark.parametrize(
    ("failures", "interval", "cap", "low", "high"),
    [
        (1, 1.0, 60.0, 1.0, 2.0),  # first retry: twice the interval, half of it jittered
        (3, 1.0, 60.0, 4.0, 8.0),
        (10, 1.0, MAX_DB_BACKOFF_S, MAX_DB_BACKOFF_S / 2, MAX_DB_BACKOFF_S),
        (10**6, 0.2, MAX_BACKOFF_S, MAX_BACKOFF_S / 2, MAX_BACKOFF_S),  # days of failures: still capped
        (1, 0.0, 60.0, 0.1, 0.2),  # a zero interval still backs off
    ],
)
@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_backoff_is_bounded_and_jittered(
    failures: int, interval: float, cap: float, low: float, high: float, jitter: float
) -> None:
    assert low <= backoff_delay(failures, interval, cap, jitter) <= high
    assert backoff_delay(failures, interval, cap, 0.0) < backoff_delay(failures, interval, cap, 0.999)


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (DatabaseUnavailable("cannot connect"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
        (asyncpg.CannotConnectNowError("the database system is shutting down"), True),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (ConnectionResetError(), True),
        (
            asyncpg.InterfaceError(
                "cannot call Transaction.__aexit__(): the underlying connection is closed"
            ),
            True,
        ),
        (asyncpg.UniqueViolationError("duplicate key"), False),
        (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), False),
        (FileNotFoundError("model.bin"), False),  # only a failed *connect* means the server is away
        (ValueError("bad row"), False),
    ],
)
def test_lost_database_is_told_apart_from_a_bug(exc: Exception, unavailable: bool) -> None:
    assert is_unavailable(exc) is unavailable
    wrapped = RuntimeError("pass failed")
    wrapped.__cause__ = exc
    assert is_unavailable(wrapped) is unavailable


async def test_an_outage_is_one_warning_then_recovery(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise DatabaseUnavailable("cannot connect to PostgreSQL: [Errno 111] Connection refused")
        stop.set()
        return 0

    job = Job("engine", flaky, interval=0.001)
    with caplog.at_level(logging.INFO, logger="monitor.worker"):
        await asyncio.wait_for(run_job(job, FakeClock(), stop, rng=lambda: 0.0), 10)
    messages = [r.getMessage() for r in caplog.records]
    assert calls == 4
    assert len([m for m in messages if "database unavailable" in m]) == 1, messages
    assert any("database available again after 3 failed passes" in m for m in messages)
    assert not any(r.exc_info for r in caplog.records), "no traceback for an expected outage"
