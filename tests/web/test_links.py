"""One-click links from chat messages: a GET only confirms; the POST acts once, as the linked person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.links import LinkSigner
from tests.web.conftest import LINK_SECRET
from tests.web.factory import open_incident


@pytest.fixture
def signer():
    return LinkSigner(LINK_SECRET, "http://127.0.0.1")


@pytest.fixture
async def gas(pool, responders, clock):
    return await open_incident(pool, responders, clock.now(), title="燃气泄漏", grade=2)


def path_of(link: str) -> str:
    return link.removeprefix("http://127.0.0.1")


async def state(pool, incident):
    return await pool.fetchval("SELECT state FROM incidents WHERE id = $1", incident)


async def test_get_confirms_without_acting_and_post_acks_as_the_person(client, signer, gas, pool, clock):
    path = path_of(signer.link("zhujian.duty", gas, "ack", clock.now()))
    page = await client.get(path)
    html = await page.text()
    assert page.status == 200 and "确认接报" in html and "黄敏" in html and "燃气泄漏" in html
    assert f'action="{path}"' in html
    assert '<button type="submit" class="primary">确认接报</button>' in html  # not 确认确认接报
    assert await state(pool, gas) == "open"
    assert await pool.fetchval("SELECT count(*) FROM link_nonces") == 0
    done = await client.post(path)
    assert done.status == 200 and "已记录" in await done.text()
    assert await state(pool, gas) == "acknowledged"
    row = await pool.fetchrow("SELECT actor, detail FROM timeline WHERE kind = 'ack'")
    assert row["actor"] == "zhujian.duty" and row["detail"]["evidence"] == {"via": "one_click_link"}


async def test_single_use(client, signer, gas, clock):
    path = path_of(signer.link("zhujian.duty", gas, "ack", clock.now()))
    assert (await client.post(path)).status == 200
    again = await client.post(path)
    assert again.status == 410 and "只能使用一次" in await again.text()
    assert (await client.get(path)).status == 410


async def test_expired_and_forged_links(client, signer, gas, clock):
    path = path_of(signer.link("zhujian.duty", gas, "ack", clock.now()))
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert (await client.get(forged)).status == 400
    other = path_of(
        LinkSigner(b"another-secret", "http://127.0.0.1").link("zhujian.duty", gas, "ack", clock.now())
    )
    assert (await client.post(other)).status == 400
    clock.advance(hours=25)
    response = await client.post(path)
    assert response.status == 410 and "已过期" in await response.text()


async def test_a_link_for_someone_who_may_not_act_is_refused(client, signer, gas, clock, pool):
    for person, status in (("shuiwu.head", 403), ("zhengfuban.observer", 403)):
        response = await client.post(path_of(signer.link(person, gas, "ack", clock.now())))
        assert response.status == status, person
    refused = path_of(signer.link("zhujian.duty", gas, "resolve", clock.now()))
    assert (await client.post(refused)).status == 400  # resolving needs a reason: not a one-tap action
    assert await state(pool, gas) == "open"


async def test_open_link_signs_the_person_in_for_that_incident(client, signer, gas, clock):
    path = path_of(signer.link("zhujian.head", gas, "open", clock.now()))
    page = await client.get(path)
    assert page.status == 200 and "登录并查看事件" in await page.text()
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/incidents/{gas}"
    cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("yq_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    incident = await client.get(f"/incidents/{gas}")
    assert incident.status == 200 and "高磊" in await incident.text()
    # a second open link for the same person, already signed in, goes straight to the incident
    again = path_of(signer.link("zhujian.head", gas, "open", clock.now() + timedelta(seconds=1)))
    direct = await client.get(again, allow_redirects=False)
    assert direct.status == 303 and direct.headers["Location"] == f"/incidents/{gas}"


async def test_refused_action_leaves_the_link_usable(client, signer, gas, clock, pool, token_for):
    from tests.web.conftest import bearer

    path = path_of(signer.link("zhujian.duty", gas, "ack", clock.now()))
    head = await token_for("zhujian.head")
    await client.post(f"/api/v1/incidents/{gas}/resolve", headers=bearer(head), json={"reason": "已处置"})
    response = await client.post(path)
    assert response.status == 409
    assert await pool.fetchval("SELECT count(*) FROM link_nonces") == 0
