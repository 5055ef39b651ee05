"""12345 opening rules and candidate official-response detection (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.config.responders import Responders
from monitor.events.model import PostIn
from monitor.incidents.evidence import is_candidate_evidence, regions_related
from monitor.incidents.hotline import hotline_open_reasons


@pytest.mark.parametrize(
    ("text", "urgency", "codes"),
    [
        ("路灯不亮", "一般", []),
        ("路灯不亮", None, []),  # default urgency 一般
        ("路灯不亮", "紧急", ["hotline_urgency"]),
        ("工地老板拖欠工资，工人准备讨薪拉横幅", "一般", ["hotline_risk_words"]),
        ("小区燃气泄漏，有人中毒", "紧急", ["hotline_urgency", "hotline_risk_words"]),
    ],
)
def test_hotline_open_rules(responders: Responders, text: str, urgency: str | None, codes: list[str]) -> None:
    reasons = hotline_open_reasons(text, urgency, responders.policy.hotline)
    assert [r.code for r in reasons] == codes


def test_hotline_rules_follow_policy(responders: Responders) -> None:
    policy = responders.policy.hotline.model_copy(
        update={"open_incident_urgencies": ("一般",), "risk_words": ()}
    )
    assert [r.code for r in hotline_open_reasons("讨薪", None, policy)] == ["hotline_urgency"]


@pytest.mark.parametrize(
    ("a", "b", "related"),
    [
        ("qingshi-lingang", "qingshi-lingang", True),
        ("qingshi", "qingshi-lingang", True),  # the county answers for its town
        ("yunjiang", "qingshi-lingang", True),  # the city answers for anything in it
        ("qingshi-lingang", "qingshi", True),
        ("jiangbei", "qingshi-lingang", False),
        (None, "qingshi", False),
        ("qingshi", None, False),
    ],
)
def test_regions_related(responders: Responders, a: str | None, b: str | None, related: bool) -> None:
    assert regions_related(responders, a, b) is related


def test_only_government_accounts_in_the_region_are_evidence(responders: Responders) -> None:
    gov = PostIn(1, "weibo-kw", "weibo", "g1", 0.0, "通报", verified_type=1, region="qingshi")
    assert is_candidate_evidence(responders, gov, "qingshi-lingang")
    assert not is_candidate_evidence(responders, replace(gov, region="jiangbei"), "qingshi-lingang")
    assert not is_candidate_evidence(responders, replace(gov, verified_type=3), "qingshi-lingang")
    flagged = replace(gov, verified_type=None, severity={"official_account": True})
    assert is_candidate_evidence(responders, flagged, "qingshi")
