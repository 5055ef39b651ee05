"""A worker process for the kill -9 test: engine, sender and auditor on simulated time from `sim_clock`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from monitor.clock import FakeClock
from monitor.config.responders import load_responders
from monitor.db.pool import create_pool
from monitor.engine.auditor import Auditor
from tests.engine.helpers import make_workers

ROOT = Path(__file__).resolve().parents[2]


async def main(dsn: str, name: str) -> None:
    pool = await create_pool(dsn, max_size=4)
    responders = load_responders(ROOT / "responders")
    clock = FakeClock()
    engine, sender = make_workers(pool, clock, responders, name=name, batch=25)[0][0]
    auditor = Auditor(pool, clock)
    print("ready", flush=True)
    while True:
        now = await pool.fetchval("SELECT now FROM sim_clock")
        clock.set(now)
        await engine.tick(now)
        while await sender.send_due(now):
            pass
        await auditor.audit(now)
        await asyncio.sleep(0.005)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
