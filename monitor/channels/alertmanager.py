"""Alertmanager-compatible output: POST /api/v2/alerts so a city's existing Alertmanager can route it."""

from __future__ import annotations

from datetime import timedelta

from monitor.channels.base import Destination, Notice, not_configured
from monitor.channels.http import HttpChannel, json_bytes, post
from monitor.channels.markdown import plain_text
from monitor.channels.text import clock_text, plain

MAX_BYTES = 512 * 1024
RESOLVE_AFTER = timedelta(hours=24)


def alert(notice: Notice, now_iso: str, ends_iso: str) -> dict[str, object]:
    """One alert; labels identify the incident and event so Alertmanager groups and dedups them."""
    labels = {
        "alertname": "YuqingIncident" if notice.incident_id else "YuqingOps",
        "event": notice.event,
        "severity": notice.severity,
        "notification": notice.key[:200],
    }
    if notice.incident_id:
        labels["incident"] = str(notice.incident_id)
    if notice.grade:
        labels["grade"] = str(notice.grade)
    if notice.department:
        labels["department"] = plain(notice.department, 60)
    annotations = {
        "summary": plain(f"{notice.headline} {notice.title}", 300),
        "description": plain_text(notice)[:4000],
    }
    if notice.clocks:
        annotations["clocks"] = "；".join(clock_text(c) for c in notice.clocks)
    links = {lk.label: lk.url for lk in notice.links}
    for name, url in links.items():
        annotations[f"link_{len(annotations)}"] = f"{name} {url}"
    out: dict[str, object] = {
        "labels": labels,
        "annotations": annotations,
        "startsAt": now_iso,
        "endsAt": ends_iso,
    }
    first = next(iter(links.values()), None)
    if first:
        out["generatorURL"] = first
    return out


class AlertmanagerChannel(HttpChannel):
    """The destination URL is Alertmanager's base (…:9093); 5xx retries, 400 is permanent."""

    kind = "alertmanager"
    max_bytes = MAX_BYTES

    async def send(self, notice: Notice, dest: Destination) -> None:
        base = dest.base_url or dest.url
        if not base:
            raise not_configured("alertmanager URL", dest)
        url = base.rstrip("/")
        if not url.endswith("/api/v2/alerts"):
            url += "/api/v2/alerts"
        now = self.clock.now()
        body = [alert(notice, now.isoformat(), (now + RESOLVE_AFTER).isoformat())]
        await post(self.session, url, data=json_bytes(body), deadline_s=self.timeout)
