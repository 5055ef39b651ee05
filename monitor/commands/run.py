"""`yuqing run`: the worker, the HTTP API and web console, and /metrics."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from monitor.app import ListenError, ensure_can_listen, load_config, run_service
from monitor.commands.check import environment_problems, print_env_warnings
from monitor.config.errors import ConfigError, print_problems
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.pool import DatabaseUnavailable
from monitor.secrets import SecretError, referenced_env
from monitor.settings import PUBLIC_URL_ENV, Settings, parse_listen, public_url_warning
from monitor.sources.pii import pii_salt


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run the worker, the API/console and /metrics")
    p.add_argument("--sources", type=Path, default=Path("sources.yaml"))
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT for the API and console")
    p.add_argument(
        "--role",
        choices=["all", "worker", "web"],
        default="all",
        help="run several workers behind one database with --role worker",
    )


def run(args: argparse.Namespace) -> int:
    try:
        listen = parse_listen(args.listen)
    except ValueError as exc:
        print(f"yuqing run: {exc}", file=sys.stderr)
        return 2
    try:
        ensure_can_listen(*listen)
    except ListenError as exc:
        print(f"yuqing run: {exc}", file=sys.stderr)
        return 1
    try:
        pii_salt(
            os.environ
        )  # a salt too short to protect callers' data is refused now, not at the first order
    except SecretError as exc:
        print(f"yuqing run: {exc}; not starting", file=sys.stderr)
        return 1
    try:
        settings = settings_from_env(args, listen)
        warn_at_start(settings)
        reload = asyncio.run(run_service(settings, reload_on_hup=True))
    except ConfigError as err:
        return print_problems("yuqing run", err, sys.stderr, "not starting")
    except (EmbeddedPostgresError, DatabaseUnavailable, ListenError) as err:
        print(f"yuqing run: {err}", file=sys.stderr)
        return 1
    if reload:
        restart()
    return 0


def restart() -> None:
    """Start this command again in this process (the same pid, which systemd and Compose follow), with the
    configuration files as they are now; everything of the old run has been stopped and closed."""
    print("yuqing run: starting again with the new configuration", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # Another SIGHUP before the new run installs its handler would otherwise end the process (and systemd
    # counts SIGHUP as a clean exit, so it would not restart it): ignored until then (kept across exec).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.execv(sys.executable, sys.orig_argv)  # noqa: S606 - this process's own interpreter and arguments


def settings_from_env(args: argparse.Namespace, listen: tuple[str, int]) -> Settings:
    """The settings; environment settings that cannot be used are all named at once: the service's own and
    the SMTP port and TLS mode (which would otherwise fail only when the channels are built)."""
    smtp = environment_problems(os.environ)
    try:
        settings = Settings.from_env(
            sources_path=args.sources, responders_path=args.responders, listen=listen, role=args.role
        )
    except ConfigError as err:
        raise ConfigError([*err.problems, *smtp]) from None
    if smtp:
        raise ConfigError(smtp)
    return settings


def warn_at_start(settings: Settings) -> None:
    """What would otherwise surface only when a message fails: links phones cannot open, and referenced
    secrets that are not set (loading the configuration here also stops a bad file before the database)."""
    configured = bool(settings.env.get(PUBLIC_URL_ENV, "").strip())
    warning = public_url_warning(settings.public_url, configured)
    if warning:
        print(f"yuqing run: warning: {warning}", file=sys.stderr)
    responders, sources = load_config(settings)
    refs = referenced_env(responders, sources, str(settings.sources_path))
    print_env_warnings(refs, settings.env, sys.stderr, "yuqing run: warning")
    sys.stderr.flush()
