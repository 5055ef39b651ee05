"""The 通知记录 page: who was told what through which channel, in names, with addresses masked and scoped."""

from __future__ import annotations

import pytest

from monitor.web.views.notifications import event_label, via_label
from tests.web.conftest import bearer
from tests.web.factory import open_incident

ERROR = "HTTP 503 <script>alert(1)</script>"


@pytest.fixture
async def incidents(pool, responders, clock):
    now = clock.now()
    gas = await open_incident(pool, responders, now, title="江滨小区燃气泄漏", grade=2)
    water = await open_incident(pool, responders, now, title="北湖停水三天", grade=4, lead="shuiwu")
    await pool.execute(
        """INSERT INTO outbox (idem_key, step_key, incident_id, target, event, status, created_at,
                               next_attempt_at, sent_at, sent_via, last_error, payload)
           VALUES ('k1', 's1', $1, 'person:zhujian.head', 'page', 'sent', $3, $3, $3, 'sms:+8613863750002',
                   NULL, '{"event": "page", "reason": "regraded", "old_grade": 3, "new_grade": 2}'),
                  ('k2', 's2', $1, 'channel:zhujian/group', 'warning', 'merged', $3, $3, NULL, NULL, NULL,
                   '{"event": "warning"}'),
                  ('k3', 's3', $2, 'person:shuiwu.head', 'page', 'failed', $3, $3, NULL, NULL, $4,
                   '{"event": "page", "reason": "repeat"}')""",
        gas,
        water,
        now,
        ERROR,
    )
    return gas, water


async def test_duty_officer_sees_every_notification_by_name(client, token_for, incidents):
    response = await client.get("/notifications", headers=bearer(await token_for("zhengfuban.duty")))
    assert response.status == 200
    html = await response.text()
    # Opening the two incidents queued their first pages too (pending); these are the three rows added here.
    assert [html.count(f'<tr class="notice-{s}"') for s in ("sent", "merged", "failed")] == [1, 1, 1]
    assert "高磊" in html and "邹超" in html and "住建局工作群" in html
    assert "短信 +86138****0002" in html
    assert "8613863750002" not in html and "person:" not in html and "channel:" not in html
    assert "已送达" in html and "已合并为摘要" in html and "失败" in html and "时限预警" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html  # the error, escaped
    # each page says why it went out (the incidents' own first pages are pending 新事件呼叫 rows)
    assert '<td data-label="类型">事件升级</td>' in html and '<td data-label="类型">重复呼叫</td>' in html
    assert '<td data-label="类型">新事件呼叫</td>' in html and '<td data-label="类型">呼叫</td>' not in html


async def test_a_department_head_sees_only_their_departments_notifications(client, token_for, incidents):
    response = await client.get("/notifications", headers=bearer(await token_for("zhujian.head")))
    html = await response.text()
    assert "江滨小区燃气泄漏" in html and "北湖停水三天" not in html and "邹超" not in html
    assert [html.count(f'<tr class="notice-{s}"') for s in ("sent", "merged", "failed")] == [1, 1, 0]


@pytest.mark.parametrize(
    ("sent_via", "label"),
    [
        (None, ""),
        ("sms:+8613863750002", "短信 +86138****0002"),
        ("email:zhujian.head@yunjiang.gov.cn", "邮件 zh***@yunjiang.gov.cn"),
        ("channel:zhujian/group", "住建局工作群"),
        ("capture:demo", "本地记录 demo"),
        ("carrier-pigeon:x", "carrier-pigeon:x"),
    ],
)
def test_via_label(sent_via, label):
    names = ({"zhujian.head": "高磊"}.get, {"zhujian": "住建局"}.get)
    assert via_label(sent_via, names) == label


@pytest.mark.parametrize(
    ("event", "reason", "label"),
    [
        ("page", "opened", "新事件呼叫"),
        ("page", "regraded", "事件升级"),
        ("page", "unacknowledged", "逐级呼叫"),
        ("reminder", "ack_expired", "确认后提醒"),
        ("page", None, "呼叫"),  # rows queued before the reason was stored
        ("page", "something-new", "呼叫"),
        ("warning", None, "时限预警"),
        ("breach", "opened", "超时"),  # a reason only qualifies pages and reminders
        ("carrier-pigeon", None, "carrier-pigeon"),
    ],
)
def test_event_label(event, reason, label):
    assert event_label(event, reason) == label
