"""The capture channel stores each message once (re-sends count as deliveries) and prints a line."""

from __future__ import annotations

import asyncpg

from monitor.channels.base import Destination
from monitor.channels.capture import CaptureChannel
from monitor.clock import FakeClock
from tests.channels.notices import digest_of, notice


async def test_capture_is_idempotent_and_prints(pool: asyncpg.Pool, clock: FakeClock) -> None:
    lines: list[str] = []
    capture = CaptureChannel(clock, pool, lines.append)
    dest = Destination("dingtalk", "channel:yingji/group", label="应急管理局/group")
    await capture.send(notice(), dest)
    await capture.send(notice(), dest)
    await capture.send(digest_of(3), dest)
    rows = await pool.fetch("SELECT idem_key, deliveries, channel FROM captured_notifications ORDER BY id")
    assert [(r["idem_key"], r["deliveries"]) for r in rows] == [
        (notice().key, 2),
        ("k0", 1),
        ("k1", 1),
        ("k2", 1),
    ]
    assert lines[0].startswith("[通知→应急管理局/group] 新舆情事件")
    assert len(capture.captured) == 3
