"""Building blocks and component schemas of the OpenAPI document (data only)."""

from __future__ import annotations

from typing import Any

from monitor.web.countdown import STATUS_LABELS
from monitor.web.errors import ERROR_STATUS
from monitor.web.inputs import STATES

JSON = "application/json"


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def string(
    *, fmt: str | None = None, nullable: bool = False, max_length: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string"}
    if fmt:
        out["format"] = fmt
    if nullable:
        out["nullable"] = True
    if max_length:
        out["maxLength"] = max_length
    return out


def obj(props: dict[str, Any], required: list[str] | None = None, *, closed: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def ok(schema: str, description: str = "成功") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


_CLOCK = obj(
    {
        "kind": string(),
        "label": string(),
        "started_at": string(fmt="date-time"),
        "due_at": string(fmt="date-time"),
        "satisfied_at": string(fmt="date-time", nullable=True),
        "closed_at": string(fmt="date-time", nullable=True),
        "status": {
            "type": "string",
            "enum": list(STATUS_LABELS),
        },
        "remaining_s": {"type": "number", "nullable": True},
    },
    ["kind", "label", "started_at", "due_at", "satisfied_at", "status", "remaining_s"],
)
_INCIDENT_PROPS: dict[str, Any] = {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": ["opinion", "hotline"]},
    "title": string(),
    "summary": string(),
    "grade": {"type": "integer", "minimum": 1, "maximum": 4},
    "grade_name": string(),
    "grade_label": string(),
    "grade_colour": string(),
    "grade_css": string(),
    "state": {"type": "string", "enum": list(STATES)},
    "state_label": string(),
    "topic": string(nullable=True),
    "region": string(nullable=True),
    "region_name": string(nullable=True),
    "lead_department": obj({"id": string(), "name": string()}, ["id", "name"]),
    "departments": array(obj({"id": string(), "name": string(), "role": string(), "role_label": string()})),
    # the departments routing named without paging them (the duty desk's guess, those under 未列为协办), and
    # their names while the duty desk leads: whom to reassign to (改派)
    "route_candidates": array(string()),
    "suggested_leads": array(string()),
    "hotline_order_no": string(nullable=True),
    "first_seen_at": string(fmt="date-time"),
    "opened_at": string(fmt="date-time"),
    "updated_at": string(fmt="date-time"),
    "acknowledged_at": string(fmt="date-time", nullable=True),
    "acknowledged_by": string(nullable=True),
    "clocks": array(ref("Clock")),
    "next_due_at": string(fmt="date-time", nullable=True),
    "at_risk": {"type": "boolean"},
}
_POST = obj(
    {
        "id": {"type": "integer"},
        "source": obj({"id": string(), "name": string(), "kind": string()}),
        "url": string(nullable=True),
        "author": string(nullable=True),
        "author_followers": {"type": "integer", "nullable": True},
        "published_at": string(fmt="date-time"),
        "title": string(),
        "text": string(),
        "reposts": {"type": "integer"},
        "comments": {"type": "integer"},
        "likes": {"type": "integer"},
    },
    ["id", "source", "published_at", "text"],
)
_DETAIL_EXTRA: dict[str, Any] = {
    "grade_reasons": array(string()),
    "route_reasons": array(string()),
    "statement_at": string(fmt="date-time", nullable=True),
    "statement_url": string(nullable=True),
    "press_conference_at": string(fmt="date-time", nullable=True),
    "responded_at": string(fmt="date-time", nullable=True),
    "resolved_at": string(fmt="date-time", nullable=True),
    "resolved_reason": string(nullable=True),
    "posts": array(ref("Post")),
    "heat": array(obj({"at": string(fmt="date-time"), "heat": {"type": "number"}}, ["at", "heat"])),
    "event": {
        **obj(
            {
                "posts": {"type": "integer"},
                "channels": array(string()),
                "heat": {"type": "number"},
                "negative_share": {"type": "number"},
                "last_seen_at": string(fmt="date-time"),
            },
            ["posts", "channels", "heat", "negative_share", "last_seen_at"],
        ),
        "nullable": True,
        "description": "the event's figures now (summary is the snapshot taken when the incident opened)",
    },
    "allowed_actions": array({"type": "string"}),
}
SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": {"type": "string", "enum": sorted(ERROR_STATUS)},
            "message": string(),
            "details": {"type": "object"},
        },
        ["error", "message"],
    ),
    "Clock": _CLOCK,
    "Incident": obj(_INCIDENT_PROPS, ["id", "title", "grade", "state", "lead_department", "clocks"]),
    "IncidentDetail": obj(
        {**_INCIDENT_PROPS, **_DETAIL_EXTRA}, ["id", "title", "grade", "state", "posts", "heat"]
    ),
    "IncidentPage": obj(
        {
            "items": array(ref("Incident")),
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {"type": "integer", "nullable": True},
        },
        ["items", "total", "limit", "offset", "next_offset"],
    ),
    "Post": _POST,
    "Timeline": obj(
        {
            "incident_id": {"type": "integer"},
            "items": array(
                obj(
                    {
                        "id": {"type": "integer"},
                        "at": string(fmt="date-time"),
                        "actor": string(),
                        "actor_name": string(nullable=True),
                        "kind": string(),
                        "kind_label": string(),
                        "note": string(),
                        "url": string(nullable=True),
                        "detail": {"type": "object"},
                    },
                    ["id", "at", "actor", "kind"],
                )
            ),
        },
        ["incident_id", "items"],
    ),
    "ActionResult": obj(
        {
            "incident_id": {"type": "integer"},
            "action": string(),
            "state": string(),
            "changed": {"type": "boolean"},
            "satisfied_clocks": array(string()),
            "timeline_id": {"type": "integer", "nullable": True},
            "detail": {"type": "object"},
        },
        ["incident_id", "action", "state", "changed"],
    ),
    "Whoami": obj(
        {
            "id": string(),
            "name": string(),
            "role": string(),
            "title": string(),
            "department": obj({"id": string(), "name": string(), "kind": string()}),
            "scope": {"type": "string", "enum": ["all", "jurisdiction", "department"]},
            "regions": array(string()),
            "read_only": {"type": "boolean"},
        },
        ["id", "name", "role", "department", "scope"],
    ),
    "Departments": obj(
        {"items": array(obj({"id": string(), "name": string(), "kind": string(), "level": string()}))}
    ),
    "Sources": obj(
        {
            "items": array(
                obj(
                    {
                        "id": string(),
                        "kind": string(),
                        "state": string(),
                        "stale": {"type": "boolean"},
                        "consecutive_failures": {"type": "integer"},
                        "last_success_at": string(fmt="date-time", nullable=True),
                        "last_error": string(nullable=True),
                    },
                    ["id", "kind", "state"],
                )
            )
        },
        ["items"],
    ),
    "IntakeError": obj(
        {"error": string(), "message": string(), "detail": {"nullable": True}},
        ["error", "message"],
    ),
    "IntakeBody": {
        "description": '一张工单，或 {"orders": [...]} 批量（最多 500 张）',
        "oneOf": [
            ref("HotlineOrder"),
            obj({"orders": array(ref("HotlineOrder"))}, ["orders"]),
        ],
    },
    "HotlineOrder": obj(
        {
            "order_no": string(max_length=64),
            "received_at": string(fmt="date-time"),
            "title": string(max_length=500),
            "content": string(),
            "channel": string(),
            "category": string(),
            "urgency": string(),
            "handler_unit": string(),
            "assist_units": array(string()),
            "region_codes": array(string()),
            "caller_name": string(max_length=100),
            "caller_phone": string(max_length=40),
        },
        ["order_no", "received_at"],
    ),
}
