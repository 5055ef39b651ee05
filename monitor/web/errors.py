"""Refusals as data: `ApiError` carries a status, a machine-readable code and a Chinese message."""

from __future__ import annotations

from typing import Any

from aiohttp import web

# code → default HTTP status; the codes are part of the public API (see the OpenAPI document).
ERROR_STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthenticated": 401,
    "not_your_department": 403,
    "read_only": 403,
    "csrf_failed": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "wrong_state": 409,
    "link_invalid": 400,
    "link_expired": 410,
    "link_used": 410,
    "idempotency_conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_input": 422,
    "missing_evidence": 422,
    "rate_limited": 429,
    "internal": 500,
    "unavailable": 503,
}


class ApiError(Exception):
    """Raised by handlers; the error middleware turns it into JSON (API) or an error page (console)."""

    def __init__(self, error: str, message: str, *, status: int | None = None, **details: Any) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status if status is not None else ERROR_STATUS[error]
        self.details = details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def error_for_http(exc: web.HTTPException) -> ApiError:
    """aiohttp's own 4xx/5xx (no route, wrong method, body too large) in the API's error shape."""
    status = exc.status
    if status == 404:
        return ApiError("not_found", "没有这个地址", status=404)
    if status == 405:
        return ApiError("method_not_allowed", "不支持该请求方法", status=405)
    if status == 413:
        return ApiError("payload_too_large", "请求体过大", status=413)
    if status == 415:
        return ApiError("unsupported_media_type", "请求体必须是 JSON", status=415)
    if 400 <= status < 500:
        return ApiError("bad_request", exc.reason or "请求有误", status=status)
    return ApiError("internal", "服务器内部错误", status=status)
