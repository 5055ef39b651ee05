"""Process settings from the command line and environment (never from the YAML configs)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from monitor.config.errors import ConfigError, ConfigProblem

Role = Literal["all", "worker", "web"]
MAX_ANALYSIS_PROCESSES = 64
PUBLIC_URL_ENV = "YUQING_PUBLIC_URL"


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


def parse_public_url(value: str) -> str:
    """YUQING_PUBLIC_URL: the http(s) address people open the console at (a path is kept, `/` trimmed)."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{PUBLIC_URL_ENV}: expected the http(s) address people reach the console at, "
            f"like https://yuqing.example.gov.cn, got {value!r}"
        )
    return text.rstrip("/")


def listen_url(host: str, port: int) -> str:
    """The console's URL on the address listened on; all interfaces (0.0.0.0, ::) become loopback."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _unreachable_host(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def public_url_warning(public_url: str, configured: bool) -> str | None:
    """What `yuqing run` says at start when links in messages will not open on a phone (None when fine)."""
    hostname = urlsplit(public_url).hostname or ""
    if configured and not _unreachable_host(hostname):
        return None
    shown = public_url.rstrip("/") + "/"
    if _unreachable_host(hostname):
        where = f"{shown}, which phones cannot open"
    else:
        where = f"{shown}, the address listened on ({PUBLIC_URL_ENV} is not set)"
    return (
        f"links in messages will point at {where}; "
        f"set {PUBLIC_URL_ENV} to the address people reach the console at"
    )


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
    public_url: str = ""  # "" = the address listened on (`listen_url`)
    analysis_processes: int = field(default_factory=lambda: parse_analysis_processes(None))
    db_wait_s: float = 120.0
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def __post_init__(self) -> None:
        if not self.public_url:
            object.__setattr__(self, "public_url", listen_url(*self.listen))

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
        if env.get(PUBLIC_URL_ENV, "").strip():  # unset: the address listened on (see __post_init__)
            try:
                base["public_url"] = parse_public_url(env[PUBLIC_URL_ENV])
            except ValueError as exc:
                problems.append(ConfigProblem("environment", PUBLIC_URL_ENV, str(exc).partition(": ")[2]))
        if problems:
            raise ConfigError(problems)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]
