"""The OpenAPI 3 document for /api/v1, written as data (a test keeps it in step with the routes)."""

from __future__ import annotations

from typing import Any

from monitor.web.inputs import MAX_LIMIT, MAX_SHORT, MAX_TEXT, MAX_URL, STATES
from monitor.web.openapi_schemas import JSON, SCHEMAS, error, obj, ok, ref, string

_ERRORS = {
    "400": error("请求参数有误（bad_request）"),
    "401": error("未登录或令牌无效（unauthenticated）"),
    "403": error("无权操作：not_your_department / read_only / csrf_failed"),
    "404": error("事件不存在（not_found）"),
    "409": error("当前状态不允许此操作（wrong_state）或 Idempotency-Key 冲突"),
    "415": error("请求体不是 JSON，或声明了 UTF-8 以外的字符集"),
    "422": error("输入无效（invalid_input）或缺少佐证（missing_evidence）"),
}
_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "重试同一请求时携带相同的键，返回首次的结果而不会重复执行",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_LIST_PARAMS = [
    _query(
        "grade",
        {"type": "string", "pattern": "^(?:[1-4]|I|II|III|IV)(?:,(?:[1-4]|I|II|III|IV))*$"},
        "级别，逗号分隔：1–4 或 I–IV",
    ),
    _query(
        "state",
        {
            "type": "string",
            "pattern": f"^(?:{'|'.join((*STATES, 'active'))})(?:,(?:{'|'.join((*STATES, 'active'))}))*$",
        },
        "状态，逗号分隔；active 表示未办结",
    ),
    _query("department", {"type": "string"}, "部门 id（主办或协办）"),
    _query("region", {"type": "string"}, "地区 id（含下级地区）"),
    _query("at_risk", {"type": "boolean"}, "只看有时限即将超时（剩余不足 20%）或已超时的事件"),
    _query("opened_from", {"type": "string", "format": "date-time"}, "立案时间起（含）"),
    _query("opened_to", {"type": "string", "format": "date-time"}, "立案时间止（不含）"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "每页条数"),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 10_000_000}, "偏移量"),
]

_ACTION_BODIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ack": (
        "AckBody",
        "确认接报（停止本级重复呼叫，不停止法定时限）",
        obj({"note": string(max_length=MAX_TEXT)}, closed=True),
    ),
    "statement": (
        "StatementBody",
        "记录已发布权威信息（附发布地址）",
        obj(
            {"url": string(fmt="uri", max_length=MAX_URL), "text": string(max_length=MAX_TEXT)},
            ["url"],
            closed=True,
        ),
    ),
    "press-conference": (
        "PressConferenceBody",
        "记录已召开新闻发布会（时间、地点，以及发布会链接或记录至少一项）",
        obj(
            {
                "held_at": string(fmt="date-time"),
                "place": string(max_length=MAX_SHORT),
                "url": string(fmt="uri", max_length=MAX_URL),
                "record": string(max_length=MAX_TEXT),
            },
            ["held_at", "place"],
            closed=True,
        ),
    ),
    "respond": (
        "RespondBody",
        "记录已回应关切（地址或文字至少一项）",
        obj({"url": string(fmt="uri", max_length=MAX_URL), "text": string(max_length=MAX_TEXT)}, closed=True),
    ),
    "resolve": (
        "ResolveBody",
        "办结（附理由）",
        obj({"reason": string(max_length=MAX_TEXT)}, ["reason"], closed=True),
    ),
    "reassign": (
        "ReassignBody",
        "改派主办部门（附理由）",
        obj(
            {"department": string(max_length=MAX_SHORT), "reason": string(max_length=MAX_TEXT)},
            ["department", "reason"],
            closed=True,
        ),
    ),
    "add-support": (
        "AddSupportBody",
        "加派协办部门（附理由）：立即按其呼叫链通知，主办部门与时限不变",
        obj(
            {"department": string(max_length=MAX_SHORT), "reason": string(max_length=MAX_TEXT)},
            ["department", "reason"],
            closed=True,
        ),
    ),
    "note": ("NoteBody", "添加备注", obj({"text": string(max_length=MAX_TEXT)}, ["text"], closed=True)),
    "escalate-now": (
        "EscalateBody",
        "立即升级到下一级",
        obj({"reason": string(max_length=MAX_TEXT)}, closed=True),
    ),
}


def _action_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for segment, (schema, summary, _body) in _ACTION_BODIES.items():
        paths[f"/api/v1/incidents/{{id}}/{segment}"] = {
            "post": {
                "operationId": f"action_{segment.replace('-', '_')}",
                "summary": summary,
                "tags": ["actions"],
                "parameters": [_ID_PARAM, _IDEMPOTENCY],
                "requestBody": {
                    "required": segment not in ("ack", "escalate-now", "respond"),
                    "content": {JSON: {"schema": ref(schema)}},
                },
                "responses": {
                    "200": ok("ActionResult", "已记录（重复的确认等返回 changed=false）"),
                    **_ERRORS,
                },
            }
        }
    return paths


def _get(
    op: str, summary: str, schema: str, params: list[dict[str, Any]], errors: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op,
            "summary": summary,
            "parameters": params,
            "responses": {"200": ok(schema), **{code: _ERRORS[code] for code in errors}},
        }
    }


def _intake_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("IntakeError")}}}


def _intake_path(operation: str, summary: str) -> dict[str, Any]:
    """12345 work-order push intake (monitor/web/intake.py), documented here with the rest of the API."""
    return {
        "post": {
            "operationId": operation,
            "summary": summary,
            "tags": ["intake"],
            "security": [{"intakeToken": []}, {"intakeSignature": []}],
            "parameters": [
                {
                    "name": "source",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "有多个推送信源时指定信源 id",
                }
            ],
            "requestBody": {"required": True, "content": {JSON: {"schema": ref("IntakeBody")}}},
            "responses": {
                "201": {"description": "已接收新工单", "content": {JSON: {"schema": {"type": "object"}}}},
                "200": {
                    "description": "重复推送：同一工单号返回已存的结果",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                "400": _intake_error("请求体不是 JSON（invalid_json）或需用 ?source= 指定信源"),
                "401": _intake_error("令牌或签名无效、签名过期"),
                "404": _intake_error("没有启用推送的 12345 信源"),
                "413": _intake_error("请求体过大或一次推送过多工单"),
                "415": _intake_error("请求体声明了 UTF-8 以外的字符集（JSON 必须是 UTF-8）"),
                "422": _intake_error("工单字段无效（invalid_order），逐条列出问题"),
                "503": _intake_error(
                    "推送接口配置有误（令牌、签名密钥或来电人信息加密盐缺失），"
                    "或数据库暂时不可用（带 Retry-After，可重推）"
                ),
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    """The whole document; its server URL is relative, right behind any host, port or proxy."""
    paths: dict[str, Any] = {
        "/api/v1/incidents": _get(
            "list_incidents", "事件列表（按最近到期的时限排序）", "IncidentPage", _LIST_PARAMS, ("400", "401")
        ),
        "/api/v1/incidents/{id}": _get(
            "get_incident",
            "事件详情：帖文、热度、部门、时限、可执行操作",
            "IncidentDetail",
            [_ID_PARAM],
            ("401", "403", "404"),
        ),
        "/api/v1/incidents/{id}/timeline": _get(
            "get_timeline", "事件时间线", "Timeline", [_ID_PARAM], ("401", "403", "404")
        ),
        **_action_paths(),
        "/api/v1/sources": _get("list_sources", "信源健康状况", "Sources", [], ("401",)),
        "/api/v1/departments": _get("list_departments", "部门列表", "Departments", [], ("401",)),
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "本文档（无需认证）",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3 文档",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/api/v1/whoami": _get("whoami", "当前登录人", "Whoami", [], ("401",)),
        "/api/v1/intake/hotline": _intake_path(
            "intake_hotline", "12345 工单推送（按工单号幂等；来电人姓名与电话在接收时脱敏）"
        ),
        "/api/v1/intake/12345": _intake_path(
            "intake_12345", "12345 工单推送（/api/v1/intake/hotline 的别名）"
        ),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "舆情哨 API",
            "version": "1.0.0",
            "description": "政务舆情监测与法定时限响应：事件、处置操作、信源与部门。所有接口都需要认证。",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **{name: body for name, _, body in _ACTION_BODIES.values()}},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "yuqing token create 生成的令牌",
                },
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "yq_session"},
                "intakeToken": {"type": "http", "scheme": "bearer", "description": "12345 推送令牌"},
                "intakeSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Yuqing-Signature",
                    "description": "sha256=<hex>：共享密钥对 `<X-Yuqing-Timestamp>.<原始请求体>` 的 "
                    "HMAC-SHA256",
                },
            },
        },
    }
