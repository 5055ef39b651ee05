"""Grade and route reasons are shown as the sentence written for people, not as a dict dump."""

from __future__ import annotations

from monitor.web.present import reasons


def test_reason_objects_show_their_message() -> None:
    stored = [
        {"code": "hotline_urgency", "grade": None, "message": "12345工单紧急程度“紧急”"},
        {"code": "base", "grade": 4, "message": "未达更高分级条件 → Ⅳ级 一般"},
        "属地：望江街道",
        {"code": "odd"},
    ]
    assert reasons(stored) == [
        "12345工单紧急程度“紧急”",
        "未达更高分级条件 → Ⅳ级 一般",
        "属地：望江街道",
        "code=odd",
    ]
    assert reasons(None) == []
