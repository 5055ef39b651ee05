"""Process settings from the command line and environment (never from the YAML configs)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Role = Literal["all", "worker", "web"]


def parse_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:8080` → (host, port), with a clear error."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen: expected HOST:PORT like 127.0.0.1:8080, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


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
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        base: dict[str, object] = {
            "database_url": env.get("DATABASE_URL") or None,
            "data_dir": Path(env.get("YUQING_DATA_DIR", ".yuqing")),
            "env": env,
        }
        if env.get("YUQING_PUBLIC_URL"):
            base["public_url"] = env["YUQING_PUBLIC_URL"].rstrip("/")
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]
