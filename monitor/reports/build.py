"""Report entry points for the CLI and the console: read from PostgreSQL, then render HTML or Markdown."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import asyncpg

from monitor.config.responders import Responders
from monitor.reports.html import render_incident_html, render_period_html
from monitor.reports.incident_data import read_incident_report
from monitor.reports.markdown import render_incident_md, render_period_md
from monitor.reports.period import PeriodKind, period_for
from monitor.reports.period_data import Names, read_period_report

Format = Literal["html", "md"]


def names_from(responders: Responders) -> Names:
    """Department and region display names from responders/."""
    return Names(
        departments={d.id: d.name for d in responders.departments.values()},
        regions={r.id: r.name for r in responders.regions.values()},
        people={pid: person.name for pid, (_, person) in responders.people.items()},
    )


def city_timezone(responders: Responders) -> ZoneInfo:
    return ZoneInfo(responders.policy.timezone)


async def period_report(
    pool: asyncpg.Pool,
    kind: PeriodKind,
    day: date,
    now: datetime,
    responders: Responders,
    fmt: Format = "html",
) -> str:
    """The 日报 or 周报 containing `day` (city-local calendar), as HTML or Markdown."""
    tz = city_timezone(responders)
    async with pool.acquire() as conn:
        report = await read_period_report(conn, period_for(kind, day, tz), now, names_from(responders))
    return render_period_html(report, tz) if fmt == "html" else render_period_md(report, tz)


async def incident_report(
    pool: asyncpg.Pool, incident_id: int, now: datetime, responders: Responders, fmt: Format = "html"
) -> str | None:
    """The 专报 for one incident, or None if it does not exist."""
    tz = city_timezone(responders)
    async with pool.acquire() as conn:
        report = await read_incident_report(conn, incident_id, now, names_from(responders))
    if report is None:
        return None
    return render_incident_html(report, tz) if fmt == "html" else render_incident_md(report, tz)


def today(now: datetime, responders: Responders) -> date:
    """The city-local calendar date of `now`."""
    return now.astimezone(city_timezone(responders)).date()
