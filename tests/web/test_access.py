"""Table tests for the authorisation rules: who sees which incident, and which actions they may take."""

from __future__ import annotations

import pytest

from monitor.web.access import (
    ACTIONS,
    IncidentScope,
    allowed_actions,
    can_view,
    permitted,
    plausible,
    principal_for,
    relation,
    visibility,
)

ZHUJIAN_LEADS = IncidentScope(
    region="binjiang-jiangbin", departments={"zhujian": "lead", "gongan": "support"}, state="open", grade=2
)
SHUIWU_IN_JIANGBEI = IncidentScope(region="jiangbei", departments={"shuiwu": "lead"}, state="open", grade=4)
UNKNOWN_REGION = IncidentScope(region=None, departments={"zhengfuban": "lead"}, state="open", grade=3)


@pytest.fixture
def who(responders):
    def make(person_id):
        principal = principal_for(responders, person_id)
        assert principal is not None
        return principal

    return make


def test_unknown_people_have_no_principal(responders):
    assert principal_for(responders, "nobody.here") is None


def test_jurisdiction_includes_sub_regions(who):
    district = who("binjiang-zhujian.duty")
    assert {"binjiang", "binjiang-jiangbin", "binjiang-wangjiang"} == set(district.jurisdiction)
    assert not district.covers_city
    assert who("zhengfuban.duty").covers_city


@pytest.mark.parametrize(
    ("person", "scope", "expected"),
    [
        ("zhujian.head", ZHUJIAN_LEADS, "lead"),
        ("gongan.head", ZHUJIAN_LEADS, "involved"),
        ("shuiwu.head", ZHUJIAN_LEADS, "none"),
        (
            "binjiang-zhujian.duty",
            ZHUJIAN_LEADS,
            "jurisdiction",
        ),  # duty officer of the district it happened in
        ("binjiang-zhujian.head", ZHUJIAN_LEADS, "none"),  # a head sees only their department's incidents
        ("binjiang-zhujian.duty", SHUIWU_IN_JIANGBEI, "none"),
        ("zhengfuban.duty", SHUIWU_IN_JIANGBEI, "jurisdiction"),
        ("zhengfuban.observer", SHUIWU_IN_JIANGBEI, "jurisdiction"),
        ("zhengfuban.duty", UNKNOWN_REGION, "lead"),
        ("binjiang-zhujian.duty", UNKNOWN_REGION, "none"),  # unknown region: only city-wide desks see it
        ("zhujian.duty", UNKNOWN_REGION, "jurisdiction"),  # a city-level duty officer covers the whole city
    ],
)
def test_relation(who, person, scope, expected):
    assert relation(who(person), scope) == expected
    assert can_view(who(person), scope) is (expected != "none")


def test_admin_sees_everything(who):
    admin = who("zhengfuban.admin")
    assert all(can_view(admin, s) for s in (ZHUJIAN_LEADS, SHUIWU_IN_JIANGBEI, UNKNOWN_REGION))
    assert visibility(admin).everything


@pytest.mark.parametrize(
    ("person", "everything", "departments", "has_regions", "unknown_region"),
    [
        ("zhengfuban.admin", True, set(), False, False),
        ("zhujian.head", False, {"zhujian"}, False, False),
        ("binjiang-zhujian.duty", False, {"binjiang-zhujian"}, True, False),
        ("zhengfuban.observer", False, {"zhengfuban"}, True, True),
    ],
)
def test_visibility(who, person, everything, departments, has_regions, unknown_region):
    v = visibility(who(person))
    assert (v.everything, set(v.departments), bool(v.regions), v.unknown_region) == (
        everything,
        departments,
        has_regions,
        unknown_region,
    )


@pytest.mark.parametrize(
    ("person", "scope", "action", "error"),
    [
        ("zhujian.head", ZHUJIAN_LEADS, "resolve", None),
        ("zhujian.leader", ZHUJIAN_LEADS, "reassign", None),
        ("gongan.head", ZHUJIAN_LEADS, "statement", None),
        ("gongan.head", ZHUJIAN_LEADS, "ack", None),
        ("gongan.head", ZHUJIAN_LEADS, "resolve", "not_your_department"),
        ("gongan.head", ZHUJIAN_LEADS, "reassign", "not_your_department"),
        ("shuiwu.head", ZHUJIAN_LEADS, "ack", "not_your_department"),
        ("binjiang-zhujian.duty", ZHUJIAN_LEADS, "ack", None),
        ("binjiang-zhujian.duty", ZHUJIAN_LEADS, "escalate_now", None),
        ("binjiang-zhujian.duty", ZHUJIAN_LEADS, "statement", "not_your_department"),
        ("binjiang-zhujian.duty", ZHUJIAN_LEADS, "reassign", "not_your_department"),
        ("zhengfuban.duty", SHUIWU_IN_JIANGBEI, "reassign", None),  # the duty desk dispatches (改派)
        ("zhengfuban.duty", SHUIWU_IN_JIANGBEI, "add_support", None),  # … and brings in others (加派)
        ("zhujian.head", ZHUJIAN_LEADS, "add_support", None),
        ("gongan.head", ZHUJIAN_LEADS, "add_support", "not_your_department"),
        ("zhengfuban.duty", SHUIWU_IN_JIANGBEI, "resolve", "not_your_department"),
        ("zhengfuban.observer", SHUIWU_IN_JIANGBEI, "note", "read_only"),
        ("zhengfuban.admin", SHUIWU_IN_JIANGBEI, "resolve", None),
        ("zhujian.head", ZHUJIAN_LEADS, "launch_missiles", "bad_request"),
    ],
)
def test_permitted(who, person, scope, action, error):
    denial = permitted(who(person), scope, action)
    assert (denial.error if denial else None) == error
    if denial:
        assert denial.message  # a Chinese explanation for the person


@pytest.mark.parametrize(
    ("state", "grade", "clocks", "offered"),
    [
        ("open", 2, {"statement", "press_conference"}, set(ACTIONS)),
        ("acknowledged", 2, {"statement", "press_conference"}, set(ACTIONS) - {"ack"}),
        ("open", 4, {"response"}, set(ACTIONS) - {"press_conference"}),
        ("responded", 3, {"response"}, set(ACTIONS) - {"ack", "press_conference"}),
        ("resolved", 2, {"statement"}, {"note"}),
        ("reviewed", 4, set(), {"note"}),
    ],
)
def test_plausible_actions_by_state(state, grade, clocks, offered):
    scope = IncidentScope(region=None, departments={}, state=state, grade=grade)
    assert {a for a in ACTIONS if plausible(scope, a, frozenset(clocks))} == offered


def test_allowed_actions_combine_role_and_state(who):
    acked = IncidentScope(region="binjiang", departments={"zhujian": "lead"}, state="acknowledged", grade=3)
    assert allowed_actions(who("zhujian.head"), acked, frozenset({"response"})) == [
        "statement",
        "respond",
        "resolve",
        "reassign",
        "add_support",
        "note",
        "escalate_now",
    ]
    assert allowed_actions(who("binjiang-zhujian.duty"), acked, frozenset({"response"})) == [
        "note",
        "escalate_now",
    ]
    assert allowed_actions(who("zhengfuban.observer"), acked, frozenset()) == []
