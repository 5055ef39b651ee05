"""Reads incidents' statutory clocks, as `ClockView`s, for the board, the API and the department record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import asyncpg

from monitor.web.countdown import ClockView

# One row per statutory clock (the engine's `clocks` table; internal targets such as `ack` are not shown).
# Every other query that needs clocks selects from this, so where clocks live is decided here only.
CLOCKS_SQL = """
SELECT c.incident_id, c.kind, c.label, c.started_at, c.due_at, c.satisfied_at, c.closed_at
  FROM clocks c
 WHERE c.legal
"""


async def clocks_for(conn: asyncpg.Connection, incident_ids: Sequence[int]) -> dict[int, list[ClockView]]:
    """Each incident's clocks, soonest due first."""
    rows = await conn.fetch(
        f"""SELECT * FROM ({CLOCKS_SQL}) AS k
            WHERE k.incident_id = ANY($1::bigint[]) ORDER BY k.due_at, k.kind""",
        list(incident_ids),
    )
    out: dict[int, list[ClockView]] = defaultdict(list)
    for r in rows:
        out[r["incident_id"]].append(
            ClockView(
                kind=r["kind"],
                label=r["label"],
                started_at=r["started_at"],
                due_at=r["due_at"],
                satisfied_at=r["satisfied_at"],
                closed_at=r["closed_at"],
            )
        )
    return out
