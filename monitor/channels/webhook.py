"""Generic webhook: a JSON body from a template (`${field}` placeholders) and an HMAC signature header."""

from __future__ import annotations

import json
from collections.abc import Mapping
from string import Template
from typing import Any

import aiohttp

from monitor.channels.base import Destination, Notice, not_configured, permanent
from monitor.channels.http import json_bytes, post
from monitor.channels.markdown import plain_text
from monitor.channels.signing import signed_headers
from monitor.channels.text import clock_text
from monitor.clock import Clock
from monitor.secrets import read_secret

MAX_BYTES = 256 * 1024
DEFAULT_TEMPLATE: dict[str, Any] = {
    "event": "${event}",
    "key": "${key}",
    "incident_id": "${incident_id}",
    "grade": "${grade}",
    "severity": "${severity}",
    "title": "${title}",
    "headline": "${headline}",
    "department": "${department}",
    "role": "${role}",
    "lead": "${lead}",
    "summary": "${summary}",
    "text": "${text}",
    "clocks": "${clocks}",
    "links": "${links}",
}


def fields(notice: Notice) -> dict[str, Any]:
    """Values a template can use; a string that is exactly one placeholder keeps the value's JSON type."""
    return {
        "event": notice.event,
        "key": notice.key,
        "incident_id": notice.incident_id,
        "grade": notice.grade,
        "grade_label": notice.grade_label,
        "colour": notice.colour,
        "severity": notice.severity,
        "title": notice.title,
        "headline": notice.headline,
        "department": notice.department,
        "role": notice.role or ("主办" if notice.department and not notice.lead else ""),
        "lead": notice.lead or notice.department,
        "summary": notice.summary,
        "text": plain_text(notice),
        "clocks": [
            {"label": c.label, "due_at": c.due_at.isoformat(), "phase": c.phase, "text": clock_text(c)}
            for c in notice.clocks
        ],
        "links": [{"label": lk.label, "url": lk.url} for lk in notice.links],
        "items": [{"key": i.key, "title": i.title, "headline": i.headline} for i in notice.items],
    }


def render(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill placeholders in every string of the template; values are data, never re-parsed as templates."""
    if isinstance(template, dict):
        return {k: render(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, values) for v in template]
    if isinstance(template, str):
        stripped = template.strip()
        if stripped.startswith("${") and stripped.endswith("}") and stripped[2:-1] in values:
            return values[stripped[2:-1]]
        text = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in values.items()}
        return Template(template).safe_substitute(text)
    return template


def template_from_env(env: Mapping[str, str]) -> Any:
    """YUQING_WEBHOOK_TEMPLATE (or _FILE): a JSON template; the default when unset."""
    raw = read_secret("YUQING_WEBHOOK_TEMPLATE", env)
    return json.loads(raw) if raw else DEFAULT_TEMPLATE


class WebhookChannel:
    """POSTs the rendered template; signs `<timestamp>.<body>` with the channel's secret."""

    kind = "webhook"
    max_bytes = MAX_BYTES

    def __init__(
        self, session: aiohttp.ClientSession, clock: Clock, template: Any = None, timeout: float = 10.0
    ) -> None:
        self.session = session
        self.clock = clock
        self.template = template if template is not None else DEFAULT_TEMPLATE
        self.timeout = timeout

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.url:
            raise not_configured("webhook URL", dest)
        body = json_bytes(render(self.template, fields(notice)))
        if len(body) > self.max_bytes:
            raise permanent("webhook body too large", "too_large")
        ts = int(self.clock.now().timestamp())
        headers = signed_headers(dest.secret, ts, body, notice.key)
        await post(self.session, dest.url, data=body, headers=headers, deadline_s=self.timeout)
