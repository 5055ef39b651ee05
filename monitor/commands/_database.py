"""What the commands that read or administer the service's database share: run on the existing one only."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.pool import DatabaseUnavailable
from monitor.db.provision import missing_database
from monitor.settings import Settings

T = TypeVar("T")


def on_existing_database(
    prog: str, work: Callable[[], Coroutine[Any, Any, T]], settings: Settings
) -> T | None:
    """Run `work` on the service's existing database; None (after one line on stderr, naming `prog`) when
    there is none here or it cannot be used."""
    problem = missing_database(settings.database_url, settings.data_dir)
    if problem is None:
        try:
            return asyncio.run(work())
        except (DatabaseUnavailable, EmbeddedPostgresError) as err:
            problem = str(err)
    print(f"{prog}: {problem}", file=sys.stderr)
    return None
