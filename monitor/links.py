"""Signed one-click links: HMAC-bound to one person, one incident and one action; expiring and single-use."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from monitor.secrets import read_secret

log = logging.getLogger(__name__)

SECRET_ENV = "YUQING_LINK_SECRET"  # noqa: S105 - the variable's name, not a secret
SECRET_FILE = "link-secret"  # noqa: S105
DEFAULT_TTL = timedelta(hours=24)
PATH_PREFIX = "/l/"
_VERSION = 1


class LinkError(Exception):
    """A link that must not be honoured; `reason` is one of: malformed, signature, expired, used."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"link rejected: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    """What a valid link authorises."""

    person_id: str
    incident_id: int
    action: str
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(
    secret: bytes, person_id: str, incident_id: int, action: str, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> str:
    """`<payload>.<mac>`, both base64url; the payload carries a fresh nonce so every link is distinct."""
    body = {
        "v": _VERSION,
        "p": person_id,
        "i": incident_id,
        "a": action,
        "e": int((now + ttl).timestamp()),
        "n": secrets.token_urlsafe(12),
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def make_link(
    secret: bytes,
    base_url: str,
    person_id: str,
    incident_id: int,
    action: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A full URL `<base>/l/<token>` for the confirmation page."""
    return (
        f"{base_url.rstrip('/')}{PATH_PREFIX}{make_token(secret, person_id, incident_id, action, now, ttl)}"
    )


def verify_link(secret: bytes, token: str, now: datetime) -> LinkClaims:
    """Check signature and expiry (not use): raises LinkError. Accepts a bare token or a full link URL."""
    if PATH_PREFIX in token:
        token = token.rsplit(PATH_PREFIX, 1)[1]
    token = token.split("?", 1)[0].strip()
    payload, sep, mac = token.partition(".")
    if not sep or not payload or not mac or len(token) > 2048:
        raise LinkError("malformed")
    expected = hmac.new(secret, payload.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
    except ValueError:
        raise LinkError("malformed") from None
    if not hmac.compare_digest(expected, given):
        raise LinkError("signature")
    try:  # only authenticated bytes are parsed
        body = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        raise LinkError("malformed") from None
    if not isinstance(body, dict) or body.get("v") != _VERSION:
        raise LinkError("malformed")
    try:
        claims = LinkClaims(
            person_id=str(body["p"]),
            incident_id=int(body["i"]),
            action=str(body["a"]),
            expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
            nonce=str(body["n"]),
        )
    except (KeyError, TypeError, ValueError):
        raise LinkError("malformed") from None
    if now >= claims.expires_at:
        raise LinkError("expired")
    return claims


async def consume_link(conn: asyncpg.Connection, claims: LinkClaims, now: datetime) -> None:
    """Mark the link used (call in the transaction that performs the action); raises LinkError('used')."""
    inserted = await conn.fetchval(
        """INSERT INTO link_nonces (nonce, person_id, incident_id, action, used_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (nonce) DO NOTHING RETURNING 1""",
        claims.nonce,
        claims.person_id,
        claims.incident_id,
        claims.action,
        now,
        claims.expires_at,
    )
    if inserted is None:
        raise LinkError("used")


async def purge_used(conn: asyncpg.Connection, now: datetime) -> int:
    """Forget nonces of links that have expired anyway."""
    status: str = await conn.execute("DELETE FROM link_nonces WHERE expires_at < $1", now)
    return int(status.split()[-1])


def load_link_secret(env: Mapping[str, str], data_dir: Path) -> bytes:
    """YUQING_LINK_SECRET (or _FILE); else `<data_dir>/link-secret`, generated once and kept (0600)."""
    value = read_secret(SECRET_ENV, env)
    if value:
        return value.encode()
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip().encode()
    data_dir.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first: use theirs
        return path.read_text(encoding="utf-8").strip().encode()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(fresh + "\n")
    log.warning("%s not set: generated a one-click link secret and stored it in %s", SECRET_ENV, path)
    return fresh.encode()


@dataclass(frozen=True)
class LinkSigner:
    """The secret and public base URL, built once by the composition root."""

    secret: bytes
    base_url: str
    ttl: timedelta = DEFAULT_TTL

    def link(self, person_id: str, incident_id: int, action: str, now: datetime) -> str:
        return make_link(self.secret, self.base_url, person_id, incident_id, action, now, self.ttl)

    def verify(self, token: str, now: datetime) -> LinkClaims:
        return verify_link(self.secret, token, now)
