"""Table tests for the web layer's pure decisions: countdowns, inputs, escaping, headers, timeline, views."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from monitor.clock import SHANGHAI
from monitor.web.countdown import (
    ClockView,
    at_risk,
    clock_classes,
    clock_status,
    describe,
    format_span,
    most_urgent,
)
from monitor.web.errors import ApiError
from monitor.web.html import Html, attrs, escape, join, link, render, safe_url
from monitor.web.inputs import ACTIVE_STATES, parse_action, parse_filter
from monitor.web.pages.login import safe_next
from monitor.web.security import is_https, security_headers
from monitor.web.timeline import KIND_LABELS, folded_timeline, target_name
from monitor.web.timeline import describe as describe_entry
from monitor.web.views.chart import heat_chart, scale_points
from monitor.web.views.department import on_time_ratio
from monitor.web.views.forms import form_body
from monitor.web.views.sources import health_class

T0 = datetime(2026, 6, 1, tzinfo=UTC)
FIVE_H = ClockView("statement", "发布权威信息", T0, T0 + timedelta(hours=5))


@pytest.mark.parametrize(
    ("clock", "minutes", "status"),
    [
        (FIVE_H, 0, "running"),
        (FIVE_H, 149, "running"),
        (FIVE_H, 150, "warning"),  # half the window left
        (FIVE_H, 239, "warning"),
        (FIVE_H, 240, "critical"),  # a fifth left (the 80 % warning)
        (FIVE_H, 299, "critical"),
        (FIVE_H, 300, "breached"),
        (
            ClockView("statement", "x", T0, T0 + timedelta(hours=5), satisfied_at=T0 + timedelta(hours=1)),
            400,
            "satisfied",
        ),
        (
            ClockView("statement", "x", T0, T0 + timedelta(hours=5), satisfied_at=T0 + timedelta(hours=6)),
            400,
            "late",
        ),
        (
            ClockView("statement", "x", T0, T0 + timedelta(hours=5), closed_at=T0 + timedelta(hours=1)),
            400,
            "closed",
        ),
        (
            ClockView("statement", "x", T0, T0 + timedelta(hours=5), closed_at=T0 + timedelta(hours=6)),
            400,
            "breached",
        ),
    ],
)
def test_clock_status(clock, minutes, status):
    assert clock_status(clock, T0 + timedelta(minutes=minutes)) == status
    assert at_risk(clock, T0 + timedelta(minutes=minutes)) is (
        status in ("critical", "breached") and not clock.done
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0分00秒"), (59, "0分59秒"), (754, "12分34秒"), (3600, "1小时00分"), (18000, "5小时00分"),
     (86400, "1天0小时"), (172800 + 7200, "2天2小时"), (-754, "12分34秒")],
)  # fmt: skip
def test_format_span(seconds, text):
    assert format_span(seconds) == text


def test_describe_and_classes():
    assert describe(FIVE_H, T0 + timedelta(hours=1)) == "剩余 4小时00分"
    assert describe(FIVE_H, T0 + timedelta(hours=5, minutes=12)) == "已超时 12分00秒"
    met = ClockView("statement", "x", T0, T0 + timedelta(hours=5), satisfied_at=T0 + timedelta(minutes=90))
    assert describe(met, T0) == "已完成（用时 1小时30分）"
    assert clock_classes(1, "critical") == "clock grade-red status-critical"
    assert clock_classes(4, "running") == "clock grade-blue status-running"


def test_most_urgent_skips_done_clocks():
    press = ClockView("press_conference", "x", T0, T0 + timedelta(hours=24))
    done = ClockView("statement", "x", T0, T0 + timedelta(hours=5), satisfied_at=T0)
    assert most_urgent([press, FIVE_H]) is FIVE_H
    assert most_urgent([press, done]) is press
    assert most_urgent([done]) is None


def test_render_escapes_everything_but_markup():
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    out = render('<p title="{t}">{t}</p>{safe}', t=hostile, safe=Html("<br>"))
    assert "<script>" not in out and "<img" not in out and out.endswith("<br>")
    assert "&quot;x&quot;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert escape("'") == "&#x27;" and escape(None) == ""
    assert join(["<a>", Html("<b>")]) == "&lt;a&gt;<b>"
    assert isinstance(Html("<i>") + "<u>", Html) and Html("<i>") + "<u>" == "<i>&lt;u&gt;"
    assert "<u>" + Html("<i>") == "&lt;u&gt;<i>"
    with pytest.raises(ValueError):
        render("{t.__class__}", t="x")
    with pytest.raises(ValueError):
        render("{t!r}", t="x")
    with pytest.raises(KeyError):
        render("{missing}")
    assert (
        attrs({"data-x": '"><script>', "hidden": True, "gone": None})
        == ' data-x="&quot;&gt;&lt;script&gt;" hidden'
    )


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://www.gov.cn/a?b=1", True),
        ("http://x.cn", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example", False),
        ("/relative", False),
        ("", False),
        (None, False),
        ("https://[::1", False),
    ],
)
def test_safe_url(url, safe):
    assert (safe_url(url) is not None) is safe
    if not safe:
        assert "<a" not in link(url, "原文")


def test_parse_filter_defaults_and_values():
    f = parse_filter({}, departments={"zhujian"}, regions={"binjiang"})
    assert (f.grades, f.states, f.limit, f.offset, f.at_risk) == ((), (), 50, 0, False)
    f = parse_filter(
        {"grade": "I,3,III", "state": "active", "department": "zhujian", "at_risk": "1", "limit": "10"},
        departments={"zhujian"},
        regions=set(),
    )
    assert f.grades == (1, 3) and f.states == ACTIVE_STATES and f.at_risk and f.limit == 10
    with pytest.raises(ApiError) as err:
        parse_filter({"grade": "0"}, departments=set(), regions=set())
    assert (err.value.status, err.value.details["param"]) == (400, "grade")


NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "body", "result", "error"),
    [
        ("ack", None, {}, None),
        ("ack", {"note": "  收到 "}, {"note": "收到"}, None),
        ("statement", {"url": "https://x.cn/a", "text": ""}, {"url": "https://x.cn/a"}, None),
        ("statement", {}, None, "missing_evidence"),
        ("statement", {"url": "   "}, None, "missing_evidence"),
        ("statement", {"url": "ftp://x.cn"}, None, "invalid_input"),
        ("statement", {"url": "https://x.cn", "bogus": 1}, None, "invalid_input"),
        ("respond", {}, None, "missing_evidence"),
        ("respond", {"url": "https://x.cn"}, {"url": "https://x.cn"}, None),
        ("press_conference", {"held_at": "2026-06-01T15:00:00+08:00", "place": "厅", "record": "实录"},
         {"held_at": "2026-06-01T15:00:00+08:00", "place": "厅", "record": "实录"}, None),
        ("press_conference", {"held_at": "2026-06-01T15:00:00+08:00", "place": "厅"}, None,
         "missing_evidence"),
        ("press_conference", {"held_at": "2026-06-01T17:00:00+08:00", "place": "厅", "record": "x"}, None,
         "invalid_input"),  # an hour in the future
        ("press_conference", {"held_at": "01/06/2026 15:00", "place": "厅", "record": "x"}, None,
         "invalid_input"),
        ("reassign", {"department": "gongan", "reason": "x"}, {"department": "gongan", "reason": "x"}, None),
        ("reassign", {"department": "mars", "reason": "x"}, None, "invalid_input"),
        ("note", {"text": "a\x00b"}, None, "invalid_input"),
        ("note", {"text": "长" * 5001}, None, "invalid_input"),
        ("note", [1], None, "bad_request"),
    ],
)  # fmt: skip
def test_parse_action(action, body, result, error):
    if error is None:
        assert parse_action(action, body, departments={"gongan"}, now=NOW) == result
    else:
        with pytest.raises(ApiError) as err:
            parse_action(action, body, departments={"gongan"}, now=NOW)
        assert err.value.error == error


def test_form_body_reads_beijing_time_and_drops_blanks():
    form = {"_csrf": "t", "held_at": "2026-06-01T15:00", "place": " 厅 ", "url": "", "record": "实录"}
    assert form_body("press_conference", form, SHANGHAI) == {
        "held_at": "2026-06-01T15:00:00+08:00",
        "place": "厅",
        "record": "实录",
    }
    assert form_body("ack", {"_csrf": "t", "evil": "x"}, SHANGHAI) == {}


@pytest.mark.parametrize(
    ("secure", "forwarded", "public", "expected"),
    [
        (False, None, "http://127.0.0.1:8080", False),
        (True, None, "http://127.0.0.1:8080", True),
        (False, "https", "http://x", True),
        (False, "https, http", "http://x", True),
        (False, "http", "https://yuqing.yunjiang.gov.cn", True),
    ],
)
def test_is_https(secure, forwarded, public, expected):
    assert is_https(secure, forwarded, public) is expected


def test_security_headers():
    headers = security_headers(https=False, static=False)
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and "Strict-Transport-Security" not in headers
    assert "Strict-Transport-Security" in security_headers(https=True, static=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "/"), ("/incidents/3?x=1", "/incidents/3?x=1"), ("//evil", "/"), ("https://evil", "/"),
     ("/\\evil", "/"), ("/a\\b", "/"), ("/a\nb", "/"), ("incidents", "/")],
)  # fmt: skip
def test_safe_next(value, expected):
    assert safe_next(value) == expected


def test_timeline_notes():
    person = {"zhujian.head": "高磊"}.get
    department = {"zhujian": "住建局", "gongan": "公安局"}.get
    dept = lambda d: department(d) or d  # noqa: E731
    assert target_name("person:zhujian.head", person, dept) == "高磊"
    assert target_name("channel:zhujian/group", person, dept) == "住建局工作群"
    note = describe_entry(
        "escalation", {"reason": "opened", "targets": ["person:zhujian.head"]}, person, dept
    )
    assert note == "通知 高磊"
    assert describe_entry(
        "reassign", {"from": "zhujian", "to": "gongan", "reason": "治安"}, person, dept
    ) == ("住建局 → 公安局；治安")
    assert (
        describe_entry("statement", {"evidence": {"text": "通报"}, "url": "https://x"}, person, dept)
        == "通报"
    )
    assert describe_entry("ack", {}, person, dept) == ""


@pytest.mark.parametrize(
    ("kind", "detail", "note"),
    [
        ("opened", {"grade": 3, "route": {"lead_name": "云江市应急管理局"}, "reasons": [{"message": "x"}]},
         "Ⅲ级 较大；主办 云江市应急管理局"),
        ("graded", {"from": 3, "to": 2, "from_label": "Ⅲ级 较大", "to_label": "Ⅱ级 重大",
                    "reasons": [{"grade": 3, "message": "讨论量爆发 → Ⅲ级 较大"},
                                {"grade": 2, "message": "3个渠道互相印证 → Ⅱ级 重大"}]},
         "Ⅲ级 较大 → Ⅱ级 重大；3个渠道互相印证 → Ⅱ级 重大"),
        ("regraded_clocks", {"clocks": [], "reason": "regrade", "new_grade": 3, "old_grade": 4}, ""),
        ("clocks_started", {"clocks": [{"label": "回应关切"}, {"label": "12345 紧急时限"}],
                            "reason": "opened"},
         "回应关切、12345 紧急时限"),
        ("clock_warning", {"clock_kind": "hotline", "clock_label": "12345 紧急时限",
                           "targets": ["person:zhujian.head", "channel:gongan/group"]},
         "12345 紧急时限；通知 高磊、公安局工作群"),
        ("target_missed", {"clock_kind": "ack", "targets": []}, "确认接报（内部时限）"),  # an old entry
        ("notification", {"channel": "dingtalk", "dest": "应急管理局/group", "outcome": "sent", "attempt": 1,
                          "error": None, "target": "channel:yingji/group"}, "钉钉 应急管理局/group；已送达"),
        ("notification", {"channel": "wecom", "dest": "住建局/group", "outcome": "sent", "attempt": 1,
                          "target": "person:zhujian.head", "digest": True},
         "企业微信 住建局/group（高磊）；已送达；与同批通知合并为一条消息"),
        ("notification", {"channel": "sms", "dest": "高磊", "outcome": "retry", "attempt": 2,
                          "target": "person:zhujian.head",
                          "error": "HTTP 503"}, "短信 高磊；发送失败，将重试：HTTP 503；第2次尝试"),
        ("merged", {"order_no": "YJ12345-0001", "urgency": "一般", "excerpt": "自来水发黄"},
         "12345 工单 YJ12345-0001（一般）；自来水发黄"),
        ("merged", {"order_no": "YJ2", "units": ["水务局", "望江"], "unknown_units": ["望江"],
                    "excerpt": "黄"},
         "12345 工单 YJ2；派单：水务局、望江（望江不对应任何部门，可在部门的 aliases 中登记）；黄"),
        ("candidate_evidence", {"author": "云江发布", "excerpt": "关于爆炸事故的情况通报",
                                "suggests": "statement", "url": "https://mp.weixin.qq.com/s/x"},
         "云江发布：关于爆炸事故的情况通报；可作为“发布权威信息”的证据"),
        ("post_joined", {"how": "new", "author": None, "source": "demo-12345"}, "demo-12345"),
        ("post_joined", {"how": "similar", "author": None, "source": "demo-12345", "excerpt": "自来水也发黄"},
         "demo-12345：自来水也发黄"),
        ("ack", {"evidence": {"via": "one_click_link"}}, "经一键确认链接"),
    ],
)  # fmt: skip
def test_timeline_notes_say_what_happened(kind, detail, note):
    """Every kind the engine writes gets a Chinese label and a note from its detail, never a bare code."""
    person = {"zhujian.head": "高磊"}.get
    department = {"zhujian": "住建局", "gongan": "公安局"}.get
    assert describe_entry(kind, detail, person, lambda d: department(d) or d) == note
    assert KIND_LABELS[kind] != kind


def test_heat_chart_scaling_and_escaping():
    series = [(T0, 0.0), (T0 + timedelta(minutes=15), 10.0), (T0 + timedelta(minutes=30), 5.0)]
    points = scale_points(series)
    assert points[0][0] < points[1][0] < points[2][0]
    assert points[1][1] < points[2][1] < points[0][1]  # higher heat is higher up (smaller y)
    assert scale_points([(T0, 3.0)])[0][0] == pytest.approx((44 + 628) / 2)
    svg = heat_chart(series, SHANGHAI)
    assert svg.startswith("<svg") and "<script" not in svg and 'aria-label="热度曲线，峰值 10"' in svg
    assert "暂无热度数据" in heat_chart([], SHANGHAI)
    assert svg.count('class="tick"') == 4  # peak, 0, start and end of the span


def test_heat_chart_of_one_bucket_labels_its_time_once():
    svg = heat_chart([(T0, 14.0)], SHANGHAI)
    times = re.findall(r'<text class="tick"[^>]*>(\d\d-\d\d \d\d:\d\d)</text>', svg)
    assert times == ["06-01 08:00"]  # T0 is midnight UTC
    assert 'x="336.0" y="172" text-anchor="middle"' in svg  # under the dot, mid-plot


@pytest.mark.parametrize(
    ("met", "late", "breached", "ratio"), [(0, 0, 0, None), (3, 1, 0, 0.75), (1, 0, 1, 0.5), (2, 0, 0, 1.0)]
)
def test_on_time_ratio(met, late, breached, ratio):
    assert on_time_ratio(met, late, breached) == ratio


@pytest.mark.parametrize(
    ("state", "stale", "failures", "expected"),
    [("ok", False, 0, "ok"), ("ok", True, 0, "bad"), ("blocked", False, 3, "bad"), ("new", False, 0, "warn"),
     ("not_modified", False, 1, "warn"), ("failing", False, 2, "bad")],
)  # fmt: skip
def test_source_health_class(state, stale, failures, expected):
    assert health_class({"state": state, "stale": stale, "consecutive_failures": failures}) == expected


def _entry(kind: str, note: str, at: str, actor: str = "system") -> dict[str, object]:
    return {"kind": kind, "note": note, "at": f"2026-11-24T{at}+08:00", "actor": actor}


def test_folded_timeline_joins_one_step_and_counts_its_repeats():
    round_one = [
        _entry("escalation", "通知 沈静", "01:00:00"),
        _entry("escalation", "通知 谭华", "01:00:00"),
        _entry("notification", "短信 沈静 +86138****0003；已送达", "01:00:01"),
        _entry("post_joined", "云江新闻：化工厂爆炸", "01:00:01"),  # between deliveries: stays its own line
        _entry("notification", "短信 谭华 +86138****0004；已送达", "01:00:02"),
        _entry("notification", "钉钉 应急管理局/group；已送达", "01:00:02"),
    ]
    round_two = [  # twenty minutes on, the same people in another order, one message failing
        _entry("escalation", "通知 谭华", "01:20:00"),
        _entry("escalation", "通知 沈静", "01:20:00"),
        _entry("notification", "短信 谭华 +86138****0004；已送达", "01:20:01"),
        _entry("notification", "短信 沈静 +86138****0003；发送失败，将重试", "01:20:01"),
    ]
    folded = folded_timeline(round_one + round_two + [_entry("escalation", "通知 沈静", "01:40:00")])
    lines = [(e["kind"], e["note"], e["repeats"], str(e["last_at"])[11:19]) for e in folded]
    assert lines == [
        ("escalation", "通知 沈静、谭华", 2, "01:20:00"),
        ("notification", "短信 沈静 +86138****0003、谭华 +86138****0004；已送达", 1, "01:00:01"),
        ("post_joined", "云江新闻：化工厂爆炸", 1, "01:00:01"),
        ("notification", "钉钉 应急管理局/group；已送达", 1, "01:00:02"),
        ("notification", "短信 谭华 +86138****0004；已送达", 1, "01:20:01"),  # not the same pair as before
        ("notification", "短信 沈静 +86138****0003；发送失败，将重试", 1, "01:20:01"),
        ("escalation", "通知 沈静", 1, "01:40:00"),  # one person only: not a repeat of the pair
    ]


def test_folded_timeline_keeps_other_kinds_and_far_apart_pages():
    entries = [
        _entry("escalation", "通知 沈静", "01:00:00"),
        _entry("escalation", "通知 谭华", "01:00:30"),  # 30 s later: another step
        _entry("clock_warning", "发布权威信息", "01:01:00"),
        _entry("clock_warning", "发布权威信息", "01:01:00"),
    ]
    assert [(e["note"], e["repeats"]) for e in folded_timeline(entries)] == [
        ("通知 沈静", 1),
        ("通知 谭华", 1),
        ("发布权威信息", 1),
        ("发布权威信息", 1),
    ]
