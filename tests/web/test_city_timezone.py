"""The console shows and reads wall times in the city's policy `timezone`, not always Beijing time."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.clock import SHANGHAI
from monitor.config.responders import Responders
from monitor.web.views.chart import heat_chart
from monitor.web.views.forms import form_body, zoned
from monitor.web.views.parts import local_time
from tests.web.conftest import bearer
from tests.web.factory import ensure_source, open_incident
from tests.web.test_console import form_value, login

URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6 all year
TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in winter, UTC+2 in summer
T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [(SHANGHAI, "06-01 08:00"), (URUMQI, "06-01 06:00"), (TOKYO, "06-01 09:00"), (BERLIN, "06-01 02:00")],
)
def test_local_time_is_the_wall_time_in_the_given_zone(zone, shown):
    assert local_time(T0, zone) == shown
    assert local_time(T0.isoformat(), zone) == shown
    assert local_time(None, zone) == ""


def test_local_time_crosses_midnight_in_the_zone():
    assert local_time(datetime(2026, 5, 31, 20, 30, tzinfo=UTC), TOKYO, "%m-%d %H:%M:%S") == "06-01 05:30:00"
    assert local_time(datetime(2026, 5, 31, 20, 30, tzinfo=UTC), URUMQI) == "06-01 02:30"


@pytest.mark.parametrize(
    ("value", "zone", "sent"),
    [
        ("2026-06-01T15:00", SHANGHAI, "2026-06-01T15:00:00+08:00"),  # as before for the shipped config
        ("2026-06-01T15:00:30", SHANGHAI, "2026-06-01T15:00:30+08:00"),
        ("2026-06-01T15:00", URUMQI, "2026-06-01T15:00:00+06:00"),
        ("2026-06-01T15:00", TOKYO, "2026-06-01T15:00:00+09:00"),
        ("2026-01-15T10:00", BERLIN, "2026-01-15T10:00:00+01:00"),  # the offset of that date
        ("2026-07-15T10:00", BERLIN, "2026-07-15T10:00:00+02:00"),
        ("2026-06-01T15:00:00+08:00", TOKYO, "2026-06-01T15:00:00+08:00"),  # an explicit offset stays
        ("2026-06-01T15:00:00Z", TOKYO, "2026-06-01T15:00:00Z"),
        ("2026-06-01", TOKYO, "2026-06-01"),  # not a date and time: the API refuses it
        ("昨天下午", TOKYO, "昨天下午"),
    ],
)
def test_a_datetime_local_value_is_a_wall_time_in_the_zone(value, zone, sent):
    assert zoned(value, zone) == sent


def test_form_body_reads_the_held_time_in_the_zone():
    form = {"held_at": "2026-06-01T05:30", "place": "厅", "record": "实录"}
    assert form_body("press_conference", form, URUMQI)["held_at"] == "2026-06-01T05:30:00+06:00"


def test_heat_chart_labels_its_times_in_the_zone():
    svg = heat_chart([(T0, 3.0), (T0 + timedelta(minutes=30), 5.0)], TOKYO)
    ticks = re.findall(r'<text class="tick"[^>]*>(\d\d-\d\d \d\d:\d\d)</text>', svg)
    assert ticks == ["06-01 09:00", "06-01 09:30"]
    assert "<title>06-01 09:30 热度 5</title>" in svg


@pytest.fixture
def responders(responders: Responders) -> Responders:
    """The shipped responders/, for a city in Xinjiang time (UTC+6)."""
    return replace(responders, policy=responders.policy.model_copy(update={"timezone": "Asia/Urumqi"}))


@pytest.fixture
async def burst(pool, responders, clock):
    """住建局's incident, opened at the clock's start: 2026-06-01 00:00 UTC, 06:00 in Urumqi."""
    return await open_incident(pool, responders, clock.now(), title="管道爆裂")


async def test_pages_show_times_in_the_city_zone(client, token_for, burst, pool, clock):
    headers = bearer(await token_for("zhujian.head"))
    board = await (await client.get("/", headers=headers)).text()
    assert "立案 06-01 06:00" in board and "更新于 06:00:00" in board
    assert "06-01 08:00" not in board
    incident = await (await client.get(f"/incidents/{burst}", headers=headers)).text()
    assert "首发 06-01 06:00" in incident and "立案 06-01 06:00" in incident
    assert "06-01 08:00" not in incident
    department = await (await client.get("/department", headers=headers)).text()
    assert "立案 06-01 06:00" in department
    async with pool.acquire() as conn:
        await ensure_source(conn, "feed-ok", clock.now(), state="ok", last_success_at=clock.now())
    sources = await (await client.get("/sources", headers=headers)).text()
    assert '<td data-label="最近成功">06-01 06:00</td>' in sources


async def test_a_form_time_is_read_in_the_city_zone(client, token_for, burst, pool):
    await login(client, await token_for("zhujian.head"))
    csrf = form_value(await (await client.get(f"/incidents/{burst}")).text(), "_csrf")
    held = {"_csrf": csrf, "held_at": "2026-06-01T05:30", "place": "发布厅", "record": "发布会实录"}
    response = await client.post(
        f"/incidents/{burst}/actions/press-conference", data=held, allow_redirects=False
    )
    assert response.status == 303
    stored = await pool.fetchval("SELECT press_conference_at FROM incidents WHERE id = $1", burst)
    assert stored == datetime(2026, 5, 31, 23, 30, tzinfo=UTC)  # 05:30 in Urumqi, not in Beijing
    page = await (await client.get(response.headers["Location"])).text()
    assert "新闻发布会：06-01 05:30" in page
