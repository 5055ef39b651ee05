"""Terminal narration for the demo: what just happened on the timelines, and a periodic progress line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg

from monitor.clock import Clock, to_local
from monitor.config.responders import Responders
from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS
from monitor.web.timeline import timeline_json

# The timeline kinds worth a line in the terminal (posts joining and notifications are too many to show).
SHOWN = frozenset(
    {
        "opened",
        "graded",
        "regraded",
        "merged",
        "clocks_started",
        "clock_warning",
        "clock_breach",
        "breach_escalation",
        "ack",
        "statement",
        "press_conference",
        "respond",
        "resolve",
        "reassign",
        "add_support",
    }
)
_PROGRESS = """
SELECT (SELECT count(*) FROM posts) AS posts,
       (SELECT count(*) FROM incidents WHERE state NOT IN ('resolved', 'reviewed')) AS open,
       (SELECT count(*) FROM outbox WHERE status = 'sent') AS sent,
       (SELECT coalesce(json_agg(json_build_object('g', grade, 'n', n)), '[]'::json)
          FROM (SELECT grade, count(*) AS n FROM incidents GROUP BY grade ORDER BY grade) g) AS grades
"""


class Narrator:
    """Prints new timeline entries as they land, and every few seconds a status line."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        say: Callable[[str], None],
        *,
        quiet: bool = False,
        responders: Responders | None = None,
        every: float = 1.0,
        status_every: float = 10.0,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._say = say
        self._quiet = quiet
        self._responders = responders
        self._every = every
        self._status_every = status_every
        self._last_id = 0

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_status = loop.time()
        while not stop.is_set():
            await self.print_new()
            if loop.time() >= next_status:
                await self.print_status()
                next_status = loop.time() + self._status_every
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._every)

    async def print_new(self) -> None:
        rows = await self._pool.fetch(
            """SELECT t.id, t.at, t.actor, t.kind, t.detail, t.incident_id,
                      i.title, i.grade, i.lead_department
               FROM timeline t JOIN incidents i ON i.id = t.incident_id
               WHERE t.id > $1 ORDER BY t.id LIMIT 500""",
            self._last_id,
        )
        if not rows:
            return
        self._last_id = rows[-1]["id"]
        if self._quiet:
            return
        entries = timeline_json(self._responders, rows) if self._responders else None
        for i, row in enumerate(rows):
            if row["kind"] not in SHOWN:
                continue
            label, note = row["kind"], ""
            if entries is not None:
                label, note = entries[i]["kind_label"], entries[i]["note"]
            self._say(self._line(row, label, note))

    def _line(self, row: Any, label: str, note: str) -> str:
        at = to_local(row["at"]).strftime("%H:%M")
        grade = f"{GRADE_LABELS.get(row['grade'], '')}{GRADE_COLOURS.get(row['grade'], '')}"
        lead = row["lead_department"]
        if self._responders is not None and lead in self._responders.departments:
            lead = self._responders.departments[lead].display_name
        head = f"[模拟 {at}] #{row['incident_id']} {row['title'][:28]}（{grade}，{lead}）"
        return f"{head} {label}" + (f"：{note}" if note else "")

    async def print_status(self) -> None:
        row = await self._pool.fetchrow(_PROGRESS)
        if row is None:
            return
        grades = "，".join(f"{GRADE_LABELS[g['g']].split()[0]}×{g['n']}" for g in row["grades"] or [])
        now = to_local(self._clock.now()).strftime("%m-%d %H:%M")
        self._say(
            f"—— 模拟时间 {now} · 帖文 {row['posts']} · 未结事件 {row['open']}"
            + (f"（{grades}）" if grades else "")
            + f" · 已发通知 {row['sent']} ——"
        )
