"""The local capture channel (demo, tests): stores each message once in PostgreSQL and prints it."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from monitor.channels.base import Destination, Notice
from monitor.channels.markdown import plain_text
from monitor.clock import Clock


@dataclass
class Captured:
    """One captured message."""

    key: str
    dest_key: str
    kind: str
    title: str
    body: str
    incident_id: int | None


@dataclass
class CaptureChannel:
    """Never fails. Re-sends of the same idempotency key count as `deliveries`, not as new rows."""

    clock: Clock
    pool: asyncpg.Pool | None = None
    printer: Callable[[str], None] | None = None
    captured: deque[Captured] = field(default_factory=lambda: deque(maxlen=5000))
    kind: str = "capture"
    max_bytes: int = 1_000_000

    async def send(self, notice: Notice, dest: Destination) -> None:
        body = plain_text(notice)
        title = f"{notice.headline} {notice.title}".strip()
        self.captured.append(Captured(notice.key, dest.key, dest.kind, title, body, notice.incident_id))
        if self.pool is not None:
            # A digest stands for each message it merged: record every one of them.
            keys = [item.key for item in notice.items] or [notice.key]
            await self.pool.executemany(
                """INSERT INTO captured_notifications
                       (idem_key, incident_id, target, dest_key, channel, title, body, captured_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (idem_key) DO UPDATE
                       SET deliveries = captured_notifications.deliveries + 1""",
                [
                    (
                        key,
                        notice.incident_id,
                        dest.person_id or dest.key,
                        dest.key,
                        dest.kind,
                        title[:500],
                        body,
                        self.clock.now(),
                    )
                    for key in keys
                ],
            )
        if self.printer is not None:
            self.printer(f"[通知→{dest.label or dest.key}] {title}")
