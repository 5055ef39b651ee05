"""Waiting for an external PostgreSQL at start-up: retried while unreachable, then a clear error."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from monitor.db.pool import DatabaseUnavailable
from monitor.db.provision import connect_when_ready, where


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


async def test_an_unreachable_server_is_retried_with_backoff_then_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    t = FakeTime()
    dsn = f"postgresql://yuqing:secret@127.0.0.1:{closed_port()}/yuqing"
    with pytest.raises(DatabaseUnavailable) as err:
        await connect_when_ready(dsn, 30, sleep=t.sleep, monotonic=t.monotonic)
    assert t.sleeps[:4] == [1.0, 2.0, 4.0, 8.0] and max(t.sleeps) <= 10.0
    assert sum(t.sleeps) == pytest.approx(30.0)
    assert "127.0.0.1" in str(err.value) and "within 30 s" in str(err.value)
    out = capsys.readouterr().err
    assert "waiting for PostgreSQL at 127.0.0.1" in out and "secret" not in out


async def test_no_wait_means_one_attempt() -> None:
    t = FakeTime()
    with pytest.raises(DatabaseUnavailable):
        await connect_when_ready(
            f"postgresql://yuqing@127.0.0.1:{closed_port()}/yuqing", 0, sleep=t.sleep, monotonic=t.monotonic
        )
    assert t.sleeps == []


async def test_a_server_that_comes_up_late_is_used(db_url: str) -> None:
    """The first attempts are refused; then the server appears (a TCP port in front of the test server's
    socket starts listening) and the wait ends with a working connection."""
    socket_dir = Path(parse_qs(urlsplit(db_url).query)["host"][0])
    pg_socket = next(socket_dir.glob(".s.PGSQL.*"))
    database = urlsplit(db_url).path.lstrip("/")
    port = closed_port()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        r2, w2 = await asyncio.open_unix_connection(str(pg_socket))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, w2), pipe(r2, writer), return_exceptions=True)

    server: asyncio.Server | None = None
    t = FakeTime()

    async def sleep(seconds: float) -> None:
        nonlocal server
        await t.sleep(seconds)
        if len(t.sleeps) == 2:  # PostgreSQL "starts" after two refused attempts
            server = await asyncio.start_server(forward, "127.0.0.1", port)

    dsn = f"postgresql://postgres@127.0.0.1:{port}/{database}"
    try:
        conn = await asyncio.wait_for(connect_when_ready(dsn, 60, sleep=sleep, monotonic=t.monotonic), 30)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    finally:
        if server is not None:
            server.close()
    assert len(t.sleeps) == 2


async def test_a_missing_database_is_not_waited_for(db_url: str) -> None:
    t = FakeTime()
    parts = urlsplit(db_url)
    bad = parts._replace(path="/no_such_database").geturl()
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await connect_when_ready(bad, 60, sleep=t.sleep, monotonic=t.monotonic)
    assert t.sleeps == []


def test_where_hides_the_password() -> None:
    assert where("postgresql://u:pw@db.example:6543/yq") == "db.example:6543/yq"
