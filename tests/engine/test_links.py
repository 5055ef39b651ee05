"""Signed one-click links: bound to person, incident and action; expiring; single-use; secret persisted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from monitor.links import (
    DEFAULT_TTL,
    LinkError,
    LinkSigner,
    consume_link,
    load_link_secret,
    make_link,
    verify_link,
)
from monitor.web.service import use_link

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
SECRET = b"k" * 32


def test_round_trip_and_binding() -> None:
    url = make_link(SECRET, "https://yq.example/", "yingji.head", 42, "ack", NOW)
    assert url.startswith("https://yq.example/l/")
    claims = verify_link(SECRET, url, NOW + timedelta(hours=1))
    assert (claims.person_id, claims.incident_id, claims.action) == ("yingji.head", 42, "ack")
    assert make_link(SECRET, "https://yq.example", "p", 1, "ack", NOW) != make_link(
        SECRET, "https://yq.example", "p", 1, "ack", NOW
    )


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t, "expired"),
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "signature"),
        (lambda t: "x" + t, "signature"),
        (lambda t: t.replace(".", ""), "malformed"),
        (lambda t: "", "malformed"),
    ],
)
def test_rejections(mutate, reason: str) -> None:  # type: ignore[no-untyped-def]
    token = make_link(SECRET, "", "p", 1, "ack", NOW, timedelta(minutes=5)).rsplit("/", 1)[1]
    when = NOW + timedelta(minutes=6) if reason == "expired" else NOW
    with pytest.raises(LinkError) as err:
        verify_link(SECRET, mutate(token), when)
    assert err.value.reason == reason


def test_a_link_signed_with_another_secret_is_refused() -> None:
    signer = LinkSigner(b"other", "https://yq.example")
    with pytest.raises(LinkError):
        verify_link(SECRET, signer.link("p", 1, "ack", NOW), NOW)


def test_editing_the_payload_breaks_the_signature() -> None:
    import base64
    import json

    token = make_link(SECRET, "", "yingji.duty", 1, "ack", NOW).rsplit("/", 1)[1]
    payload, mac = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["p"] = "zhengfuban.leader"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode() + "." + mac
    with pytest.raises(LinkError) as err:
        verify_link(SECRET, forged, NOW)
    assert err.value.reason == "signature"


async def test_single_use(pool: asyncpg.Pool) -> None:
    claims = verify_link(SECRET, make_link(SECRET, "", "p", 1, "ack", NOW), NOW)
    async with pool.acquire() as conn:
        await consume_link(conn, claims, NOW)
        with pytest.raises(LinkError) as err:
            await consume_link(conn, claims, NOW)
    assert err.value.reason == "used"


async def test_spending_a_link_forgets_the_nonces_of_expired_ones(pool: asyncpg.Pool) -> None:
    old = verify_link(SECRET, make_link(SECRET, "", "p", 1, "ack", NOW), NOW)
    later = NOW + DEFAULT_TTL + timedelta(minutes=1)
    fresh = verify_link(SECRET, make_link(SECRET, "", "p", 2, "ack", later), later)
    async with pool.acquire() as conn:
        await use_link(conn, old, NOW)
        await use_link(conn, fresh, later)  # `old` has expired by now: its nonce is no longer needed
        left = {r["incident_id"] for r in await conn.fetch("SELECT incident_id FROM link_nonces")}
    assert left == {2}


def test_secret_from_env_or_generated_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert load_link_secret({"YUQING_LINK_SECRET": "from-env"}, tmp_path) == b"from-env"
    (tmp_path / "f").write_text("from-file\n")
    assert load_link_secret({"YUQING_LINK_SECRET_FILE": str(tmp_path / "f")}, tmp_path) == b"from-file"
    with caplog.at_level(logging.WARNING):
        first = load_link_secret({}, tmp_path / "data")
    assert "generated a one-click link secret" in caplog.text and first.decode() not in caplog.text
    assert load_link_secret({}, tmp_path / "data") == first
    assert (tmp_path / "data" / "link-secret").stat().st_mode & 0o777 == 0o600
