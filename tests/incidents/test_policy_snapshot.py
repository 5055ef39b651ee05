"""The frozen policy: statutory clocks per grade, expanded chains, and the breach ladder."""

from __future__ import annotations

from monitor.config.responders import Responders
from monitor.incidents.policy_snapshot import freeze_policy


def test_major_incident_gets_5h_and_24h_clocks(responders: Responders) -> None:
    snap = freeze_policy(
        responders,
        grade=2,
        kind="opinion",
        lead="yingji",
        departments=[("yingji", "lead"), ("shengtai", "support"), ("zhengfuban", "coordinator")],
    )
    assert [(c["kind"], c["within_s"]) for c in snap["clocks"]] == [
        ("statement", 18000.0),
        ("press_conference", 86400.0),
    ]
    assert set(snap["chains"]) == {"yingji", "shengtai", "zhengfuban"}
    first = snap["chains"]["yingji"][0]
    assert "person:yingji.duty" in first["notify"] and "person:yingji.head" in first["notify"]
    assert "channel:yingji/group" in first["notify"]
    assert snap["breach_escalation"][0] == ["person:yingji.head"]
    assert "person:xuanchuan.press" in snap["breach_escalation"][-1]
    assert "person:zhengfuban.duty" in snap["breach_escalation"][-1]


def test_ordinary_incident_gets_48h_response_clock(responders: Responders) -> None:
    snap = freeze_policy(
        responders, grade=4, kind="opinion", lead="zhujian", departments=[("zhujian", "lead")]
    )
    assert [(c["kind"], c["within_s"]) for c in snap["clocks"]] == [("response", 172800.0)]
    assert snap["clocks"][0]["warn_at"] == [0.5, 0.8]


def test_hotline_incident_adds_its_configured_limit(responders: Responders) -> None:
    snap = freeze_policy(
        responders,
        grade=4,
        kind="hotline",
        lead="shuiwu",
        departments=[("shuiwu", "lead")],
        hotline_urgency="紧急",
    )
    assert ("hotline", 7200.0) in [(c["kind"], c["within_s"]) for c in snap["clocks"]]
    unknown = freeze_policy(
        responders,
        grade=4,
        kind="hotline",
        lead="shuiwu",
        departments=[("shuiwu", "lead")],
        hotline_urgency="???",
    )
    assert ("hotline", 7 * 86400.0) in [(c["kind"], c["within_s"]) for c in unknown["clocks"]]
