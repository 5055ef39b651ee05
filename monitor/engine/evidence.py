"""Validation of action evidence (pure): URLs, times, required text; errors the web layer maps to 4xx."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.clock import SHANGHAI

MAX_TEXT = 4000


class ActionError(Exception):
    """Base of the typed errors `record_action` raises; `code` is machine-readable."""

    code = "action_error"


class NotFound(ActionError):
    """No such incident (web: 404)."""

    code = "not_found"


class WrongState(ActionError):
    """The action isn't allowed in the incident's current state (web: 409)."""

    code = "wrong_state"


class MissingEvidence(ActionError):
    """Required evidence is missing or malformed (web: 422)."""

    code = "missing_evidence"


class UnknownAction(MissingEvidence):
    """Not one of the actions (web: 422)."""

    code = "unknown_action"


def text(evidence: Mapping[str, Any], key: str, *, required: bool, what: str = "") -> str | None:
    """A trimmed, bounded string field."""
    value = evidence.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MissingEvidence(what or f"`{key}` is required")
        return None
    if not isinstance(value, str):
        raise MissingEvidence(f"`{key}` must be a string")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise MissingEvidence(f"`{key}` is longer than {MAX_TEXT} characters")
    return value


def url(evidence: Mapping[str, Any], key: str, *, required: bool, what: str = "") -> str | None:
    """An absolute http(s) URL."""
    value = text(evidence, key, required=required, what=what)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise MissingEvidence(f"`{key}` must be an absolute http(s) URL")
    return value


def when(evidence: Mapping[str, Any], key: str, now: datetime, *, what: str = "") -> datetime:
    """A past (or present) time: an aware datetime or ISO 8601 text; naive means Asia/Shanghai."""
    value = evidence.get(key)
    if value is None or value == "":
        raise MissingEvidence(what or f"`{key}` is required")
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            raise MissingEvidence(f"`{key}` must be an ISO 8601 time") from None
    else:
        raise MissingEvidence(f"`{key}` must be an ISO 8601 time")
    if at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    if at > now + timedelta(minutes=5):
        raise MissingEvidence(f"`{key}` is in the future")
    return at


def public(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence as stored on the timeline: JSON-safe scalars only, bounded."""
    out: dict[str, Any] = {}
    for key, value in list(evidence.items())[:20]:
        if isinstance(value, datetime):
            out[str(key)] = value.isoformat()
        elif isinstance(value, str):
            out[str(key)] = value[:MAX_TEXT]
        elif isinstance(value, bool | int | float) or value is None:
            out[str(key)] = value
    return out
