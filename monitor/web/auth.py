"""API tokens and console sessions, stored only as hashes, plus the login rate limit kept in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

TOKEN_PREFIX = "yq_"  # noqa: S105 - a prefix that makes tokens recognisable, not a secret
SESSION_TTL = timedelta(hours=12)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 10
RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Session:
    """A live console session: whose it is and the token its forms must carry."""

    id: int
    person_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """One API token's metadata (never the token itself)."""

    id: int
    person_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


# Headers and cookies arrive with undecodable bytes as lone surrogates: a credential that holds them is
# simply wrong, so encoding it must never fail.
_ANY_TEXT = "surrogatepass"


def hash_secret(value: str) -> str:
    """SHA-256 of a high-entropy random secret: enough, since such secrets cannot be guessed offline."""
    return hashlib.sha256(value.encode("utf-8", _ANY_TEXT)).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of secrets (CSRF tokens, push tokens, signatures); one holding undecodable
    bytes is simply unequal."""
    return hmac.compare_digest(a.encode("utf-8", _ANY_TEXT), b.encode("utf-8", _ANY_TEXT))


def bearer_token(header: str | None) -> str | None:
    """`Authorization: Bearer yq_…` → the token; anything else → None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def login_blocked(recent_failures: int, limit: int = LOGIN_MAX_FAILURES) -> bool:
    """Too many failed logins from one address inside the window."""
    return recent_failures >= limit


async def create_token(
    conn: asyncpg.Connection, person_id: str, now: datetime, expires_at: datetime | None, label: str = ""
) -> tuple[int, str]:
    """Store the hash of a new token and return (id, token); the token is shown once and never stored."""
    token = new_token()
    token_id: int = await conn.fetchval(
        """INSERT INTO api_tokens (person_id, token_hash, label, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        person_id,
        hash_secret(token),
        label,
        now,
        expires_at,
    )
    return token_id, token


async def list_tokens(conn: asyncpg.Connection, person_id: str | None = None) -> list[TokenInfo]:
    rows = await conn.fetch(
        """SELECT id, person_id, label, created_at, expires_at, revoked_at, last_used_at
           FROM api_tokens WHERE $1::text IS NULL OR person_id = $1 ORDER BY id""",
        person_id,
    )
    return [TokenInfo(**dict(r)) for r in rows]


async def revoke_token(conn: asyncpg.Connection, token_id: int, now: datetime) -> bool:
    """Revoke a token and every session signed in with it."""
    async with conn.transaction():
        done = await conn.fetchval(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id",
            token_id,
            now,
        )
        await conn.execute(
            "UPDATE web_sessions SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL",
            token_id,
            now,
        )
    return done is not None


async def token_owner(conn: asyncpg.Connection, token: str, now: datetime) -> tuple[int, str] | None:
    """(token id, person id) for a live token, marking it used; None if unknown, expired or revoked."""
    row = await conn.fetchrow(
        """UPDATE api_tokens SET last_used_at = $2
           WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
           RETURNING id, person_id""",
        hash_secret(token),
        now,
    )
    return (row["id"], row["person_id"]) if row else None


async def create_session(
    conn: asyncpg.Connection,
    person_id: str,
    token_id: int | None,
    now: datetime,
    token_expires: datetime | None,
) -> tuple[str, Session]:
    """A new session (cookie value, session); it never outlives the token it was made from."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_TTL
    if token_expires is not None:
        expires = min(expires, token_expires)
    session_id: int = await conn.fetchval(
        """INSERT INTO web_sessions (person_id, session_hash, csrf_token, token_id, created_at, expires_at,
                                     last_seen_at)
           VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id""",
        person_id,
        hash_secret(cookie),
        csrf,
        token_id,
        now,
        expires,
    )
    return cookie, Session(session_id, person_id, csrf, expires)


async def session_for(conn: asyncpg.Connection, cookie: str, now: datetime) -> Session | None:
    """The live session for a cookie value; revoked tokens take their sessions with them."""
    row = await conn.fetchrow(
        """UPDATE web_sessions s SET last_seen_at = $2
           WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
             AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.id = s.token_id AND t.revoked_at IS NOT NULL)
           RETURNING s.id, s.person_id, s.csrf_token, s.expires_at""",
        hash_secret(cookie),
        now,
    )
    if row is None:
        return None
    return Session(row["id"], row["person_id"], row["csrf_token"], row["expires_at"])


async def end_session(conn: asyncpg.Connection, session_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE web_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", session_id, now
    )


async def token_expiry(conn: asyncpg.Connection, token_id: int) -> datetime | None:
    expires: datetime | None = await conn.fetchval(
        "SELECT expires_at FROM api_tokens WHERE id = $1", token_id
    )
    return expires


async def recent_login_failures(conn: asyncpg.Connection, remote: str, now: datetime) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM login_attempts WHERE remote = $1 AND NOT ok AND at > $2 AND at <= $3",
        remote,
        now - LOGIN_WINDOW,
        now,
    )
    return count


async def record_login_attempt(conn: asyncpg.Connection, remote: str, now: datetime, ok: bool) -> None:
    await conn.execute("INSERT INTO login_attempts (remote, at, ok) VALUES ($1, $2, $3)", remote, now, ok)


async def prune(conn: asyncpg.Connection, now: datetime) -> None:
    """Forget login attempts, sessions and idempotency keys long past mattering (run at each login)."""
    cutoff = now - RETENTION
    await conn.execute("DELETE FROM login_attempts WHERE at < $1", cutoff)
    await conn.execute("DELETE FROM web_sessions WHERE expires_at < $1 OR revoked_at < $1", cutoff)
    await conn.execute("DELETE FROM api_idempotency WHERE created_at < $1", cutoff)
