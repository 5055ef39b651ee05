"""Process settings from the command line and environment (never from the YAML configs)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from monitor.config.errors import ConfigError, ConfigProblem

Role = Literal["all", "worker", "web"]
MAX_ANALYSIS_PROCESSES = 64


def parse_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:8080` → (host, port), with a clear error."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen: expected HOST:PORT like 127.0.0.1:8080, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_analysis_processes(value: str | None, cpus: int | None = None) -> int:
    """YUQING_ANALYSIS_PROCESSES: `auto` (or unset) = one per core, at most 2; 0 or 1 = in this process."""
    text = (value or "auto").strip().lower()
    if text == "auto":
        return min(2, cpus if cpus is not None else os.cpu_count() or 1)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ANALYSIS_PROCESSES:
        raise ValueError(
            f"YUQING_ANALYSIS_PROCESSES: expected auto or a whole number from 0 to {MAX_ANALYSIS_PROCESSES} "
            f"(0 or 1 = analyse in the worker process), got {value!r}"
        )
    return int(text)


def parse_db_wait(value: str | None) -> float:
    """YUQING_DB_WAIT: seconds `yuqing run` waits at start for an external PostgreSQL (default 120)."""
    text = (value or "120").strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600 or not text.replace(".", "", 1).isdigit():
        raise ValueError(f"YUQING_DB_WAIT: expected seconds from 0 to 3600, got {value!r}")
    return seconds


@dataclass(frozen=True)
class Settings:
    """What `yuqing run` needs to start."""

    sources_path: Path = Path("sources.yaml")
    responders_path: Path = Path("responders")
    listen: tuple[str, int] = ("127.0.0.1", 8080)
    database_url: str | None = None
    data_dir: Path = Path(".yuqing")
    role: Role = "all"
    worker_id: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}")
    public_url: str = "http://127.0.0.1:8080"
    analysis_processes: int = field(default_factory=lambda: parse_analysis_processes(None))
    db_wait_s: float = 120.0
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        base: dict[str, object] = {
            "database_url": env.get("DATABASE_URL") or None,
            "data_dir": Path(env.get("YUQING_DATA_DIR", ".yuqing")),
            "env": env,
        }
        problems: list[ConfigProblem] = []
        parsers = {"analysis_processes": ("YUQING_ANALYSIS_PROCESSES", parse_analysis_processes),
                   "db_wait_s": ("YUQING_DB_WAIT", parse_db_wait)}  # fmt: skip
        for key, (name, parse) in parsers.items():
            try:
                base[key] = parse(env.get(name))
            except ValueError as exc:
                problems.append(ConfigProblem("environment", name, str(exc).partition(": ")[2]))
        if problems:
            raise ConfigError(problems)
        if env.get("YUQING_PUBLIC_URL"):
            base["public_url"] = env["YUQING_PUBLIC_URL"].rstrip("/")
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]
