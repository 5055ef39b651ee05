"""HMAC request signing for our own outgoing webhooks (SMS gateway, generic webhook)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Yuqing-Signature"
TIMESTAMP_HEADER = "X-Yuqing-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>` (timestamp in seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def signed_headers(secret: str | None, timestamp: int, body: bytes, key: str) -> dict[str, str]:
    """Timestamp, signature (when a secret is set) and the idempotency key for the receiver to dedupe."""
    headers = {TIMESTAMP_HEADER: str(timestamp), IDEMPOTENCY_HEADER: key}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
    return headers


def verify(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    return hmac.compare_digest(signature(secret, ts, body), given)
