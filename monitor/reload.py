"""SIGHUP (`systemctl reload yuqing`): check the configuration files again and, only if they are valid, stop
gracefully so `yuqing run` starts afresh with them. A file with problems never takes the service down."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config.both import load_both
from monitor.config.errors import ConfigProblem

log = logging.getLogger(__name__)


def config_problems(responders: Path, sources: Path) -> list[ConfigProblem]:
    """Every problem of both configuration files as they are on disk now (none: they can be loaded)."""
    return load_both(responders, sources)[2]


@dataclass
class Reload:
    """Asked for by a signal; `requested` once the new files passed and the service was told to stop."""

    responders: Path
    sources: Path
    stop: asyncio.Event
    requested: bool = False
    _checking: asyncio.Task[None] | None = field(default=None, repr=False)

    def ask(self) -> None:
        """The signal handler: check the files off the event loop (one check at a time)."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(self.check())

    async def check(self) -> None:
        problems = await asyncio.to_thread(config_problems, self.responders, self.sources)
        if problems:
            log.error(
                "reload refused: the configuration has %d problem(s); still running with the one loaded at "
                "start. Fix these and reload again:",
                len(problems),
            )
            for problem in problems:
                log.error("  %s", problem)
            return
        log.warning("reload: %s and %s are valid; restarting with them", self.responders, self.sources)
        self.requested = True
        self.stop.set()
