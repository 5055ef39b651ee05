"""What the demo's people do: push 12345 orders, tap a one-click link, record a statement — over real HTTP."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

import aiohttp
import asyncpg

from monitor.demo.corpus import DemoAction, DemoItem
from monitor.links import LinkError, LinkSigner

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://[^\s)\]>\"']+/l/[A-Za-z0-9_\-.~]+")


@dataclass
class DemoPeople:
    """The demo's actors; every call goes through the service's public HTTP surface."""

    http: aiohttp.ClientSession
    base_url: str
    pool: asyncpg.Pool
    hotline_token: str
    tokens: dict[str, str]
    links: LinkSigner
    say: Callable[[str], None]

    async def push_order(self, item: DemoItem) -> None:
        """A 12345 platform pushing one work order to the intake endpoint."""
        h = item.hotline
        body = {
            "order_no": h["order_no"],
            "received_at": item.at.isoformat(),
            "channel": "电话",
            "category": h.get("category", ""),
            "handler_unit": h.get("handler_unit", ""),
            "urgency": h.get("urgency", "一般"),
            "title": item.title,
            "content": item.text,
            "region_codes": [h["region_code"]] if h.get("region_code") else [],
            "caller_name": h.get("caller_name", ""),
            "caller_phone": h.get("caller_phone", ""),
        }
        headers = {"Authorization": f"Bearer {self.hotline_token}"}
        async with self.http.post(
            f"{self.base_url}/api/v1/intake/hotline", json=body, headers=headers
        ) as resp:
            if resp.status >= 300:
                self.say(f"12345 推送 {h['order_no']} 被拒绝：HTTP {resp.status} {await resp.text()}")
            else:
                self.say(f"12345 工单 {h['order_no']}（{h.get('urgency', '一般')}）已推送：{item.title}")

    async def _incident(self, match: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(
            """SELECT id, title, lead_department FROM incidents
               WHERE title LIKE '%' || $1 || '%' OR summary LIKE '%' || $1 || '%'
               ORDER BY id LIMIT 1""",
            match,
        )

    async def perform(self, action: DemoAction, now: datetime) -> bool:
        """Carry out one scripted action; False when its incident isn't there yet (try again later)."""
        row = await self._incident(action.incident_match)
        if row is None:
            return False
        if action.kind == "ack_link":
            return await self._ack_by_link(row["id"], row["title"], action.person, now)
        if action.kind == "statement":
            return await self._statement(row["id"], row["title"], action)
        raise ValueError(f"unknown demo action {action.kind!r}")

    async def _ack_by_link(self, incident_id: int, title: str, person: str, now: datetime) -> bool:
        """Find the ack link in a message this person (or their department) received, open it, confirm."""
        bodies = await self.pool.fetch(
            """SELECT body FROM captured_notifications WHERE incident_id = $1 ORDER BY id""", incident_id
        )
        candidates: list[tuple[str, str]] = []
        for rec in bodies:
            for url in _LINK.findall(rec["body"]):
                token = url.rsplit("/l/", 1)[1]
                try:
                    claims = self.links.verify(token, now)
                except LinkError:
                    continue
                if claims.action == "ack":
                    candidates.append((claims.person_id, url))
        if not candidates:
            return False
        chosen = next((c for c in candidates if c[0] == person), candidates[0])
        link = self.base_url + "/l/" + chosen[1].rsplit("/l/", 1)[1]
        async with self.http.get(link) as resp:
            page = await resp.text()
            if resp.status != 200:
                self.say(f"一键确认链接打开失败：HTTP {resp.status}")
                return True
        form = _FormFields()
        form.feed(page)
        async with self.http.post(link, data=form.fields) as resp:
            ok = resp.status == 200
        who = chosen[0]
        self.say(
            f"{who} 在群消息里点开一键确认链接，确认接报事件 #{incident_id}「{title}」"
            + ("" if ok else f"（失败：HTTP {resp.status}）")
        )
        return True

    async def _statement(self, incident_id: int, title: str, action: DemoAction) -> bool:
        token = self.tokens.get(action.person)
        if token is None:
            return True
        body = {"url": action.url, "text": action.text}
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{self.base_url}/api/v1/incidents/{incident_id}/statement"
        async with self.http.post(url, json=body, headers=headers) as resp:
            if resp.status < 300:
                self.say(
                    f"{action.person} 发布权威信息并登记证据：{action.url}（事件 #{incident_id}「{title}」）"
                )
            else:
                self.say(f"登记发布证据失败：HTTP {resp.status} {await resp.text()}")
        return True


class _FormFields(HTMLParser):
    """The hidden inputs of the confirmation form (e.g. its CSRF field), to post back as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        a = dict(attrs)
        if a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""
