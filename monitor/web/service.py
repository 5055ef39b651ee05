"""The web layer's use cases, shared by API handlers and console pages: scoped reads and audited actions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from monitor.engine import lifecycle
from monitor.links import LinkClaims, LinkError, consume_link, purge_used
from monitor.web.access import Principal, can_view, permitted
from monitor.web.errors import ApiError
from monitor.web.inputs import answers_in_time, check_answer_times, earliest_allowed
from monitor.web.queries.incidents import IncidentRow, event_sightings, get_incident

if TYPE_CHECKING:
    from monitor.app import Services


async def visible_incident(conn: asyncpg.Connection, principal: Principal, incident_id: int) -> IncidentRow:
    """The incident if it exists and this person may see it; 404 / 403 otherwise."""
    row = await get_incident(conn, incident_id)
    if row is None:
        raise ApiError("not_found", f"事件 {incident_id} 不存在")
    if not can_view(principal, row.scope()):
        raise ApiError("not_your_department", "该事件不属于本部门，无权查看或操作")
    return row


async def permitted_incident(
    conn: asyncpg.Connection, principal: Principal, incident_id: int, action: str
) -> IncidentRow:
    """404 / 403 unless this person may take `action` on the incident (its state is the engine's call)."""
    row = await visible_incident(conn, principal, incident_id)
    denial = permitted(principal, row.scope(), action)
    if denial is not None:
        raise ApiError(denial.error, denial.message)
    return row


async def authorise(services: Services, principal: Principal, incident_id: int, action: str) -> IncidentRow:
    """`permitted_incident` on a connection of its own, to refuse a request before reading its body."""
    async with services.pool.acquire() as conn:
        return await permitted_incident(conn, principal, incident_id, action)


def _request_hash(action: str, incident_id: int, evidence: dict[str, Any]) -> str:
    payload = json.dumps([action, incident_id, evidence], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


async def _replay(
    conn: asyncpg.Connection, principal: Principal, key: str, request_hash: str
) -> dict[str, Any] | None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{principal.person_id}:{key}"
    )
    row = await conn.fetchrow(
        "SELECT request_hash, body FROM api_idempotency WHERE person_id = $1 AND key = $2",
        principal.person_id,
        key,
    )
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise ApiError("idempotency_conflict", "同一个 Idempotency-Key 已用于另一个请求")
    body: dict[str, Any] = row["body"]
    return body


async def perform_action(
    services: Services,
    principal: Principal,
    incident_id: int,
    action: str,
    evidence: dict[str, Any],
    idempotency_key: str | None = None,
    link: LinkClaims | None = None,
) -> dict[str, Any]:
    """Authorise, then `record_action` as this person in one transaction; typed refusals become ApiErrors.

    With `link`, the one-click link is used up in the same transaction, so a refused action leaves it valid.
    """
    now = services.clock.now()
    request_hash = _request_hash(action, incident_id, evidence)
    async with services.pool.acquire() as conn, conn.transaction():
        if idempotency_key is not None:
            replayed = await _replay(conn, principal, idempotency_key, request_hash)
            if replayed is not None:
                return replayed
        row = await permitted_incident(conn, principal, incident_id, action)
        if answers_in_time(evidence):
            check_answer_times(evidence, earliest_allowed(*await event_sightings(conn, incident_id)))
        if link is not None:
            await use_link(conn, link, now)
        try:
            result = await lifecycle.record_action(
                conn, incident_id, action, principal.person_id, now, evidence, responders=services.responders
            )
        except lifecycle.WrongState as exc:
            raise ApiError(
                "wrong_state", _message("当前状态不允许此操作", exc), state=row.data["state"]
            ) from None
        except lifecycle.MissingEvidence as exc:
            raise ApiError("missing_evidence", _message("缺少必要的佐证材料", exc)) from None
        except lifecycle.NotFound as exc:
            raise ApiError("not_found", _message(f"事件 {incident_id} 不存在", exc)) from None
        except lifecycle.ActionError as exc:  # any other refusal the engine types in future
            raise ApiError("invalid_input", _message("操作被拒绝", exc)) from None
        body = asdict(result)
        if idempotency_key is not None:
            await conn.execute(
                """INSERT INTO api_idempotency (person_id, key, request_hash, status, body, created_at)
                   VALUES ($1, $2, $3, 200, $4, $5)""",
                principal.person_id,
                idempotency_key,
                request_hash,
                body,
                now,
            )
    return body


LINK_REFUSALS: dict[str, tuple[str, str]] = {
    "malformed": ("link_invalid", "链接无效或不完整，请从通知中重新打开"),
    "signature": ("link_invalid", "链接无效（签名不符）"),
    "expired": ("link_expired", "链接已过期，请登录控制台操作"),
    "used": ("link_used", "该链接已使用过，每个链接只能使用一次"),
}


def link_error(exc: LinkError) -> ApiError:
    """A rejected one-click link as a refusal (400 for a bad link, 410 once expired or used)."""
    error, message = LINK_REFUSALS.get(exc.reason, ("link_invalid", "链接无效"))
    return ApiError(error, message)


async def use_link(conn: asyncpg.Connection, claims: LinkClaims, now: datetime) -> None:
    """Spend a one-click link (single use) inside the caller's transaction; the nonces of links that have
    expired go on the way (an expired link is refused before its nonce is looked at)."""
    try:
        await consume_link(conn, claims, now)
    except LinkError as exc:
        raise link_error(exc) from None
    await purge_used(conn, now)


def _message(prefix: str, exc: Exception) -> str:
    detail = str(exc).strip()
    return f"{prefix}：{detail}" if detail else prefix
