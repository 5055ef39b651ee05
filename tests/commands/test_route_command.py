"""`yuqing route` names what it cannot use: an urgency the policy does not have, text that is not UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_an_urgency_the_policy_does_not_have_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["route", "--responders", str(ROOT / "responders"), "--hotline-urgency", "加急", "停水三天了"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown 12345 urgency '加急'" in err and "紧急, 水电气热, 一般" in err


def test_undecodable_argument_bytes_are_named_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    text = b"bad \xff x".decode("utf-8", "surrogateescape")  # as Python hands such argv bytes over
    assert main(["route", "--responders", str(ROOT / "responders"), text]) == 2
    assert "TEXT is not valid UTF-8" in capsys.readouterr().err


def test_a_configured_urgency_still_routes(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "route",
        "--responders",
        str(ROOT / "responders"),
        "--hotline-urgency",
        "紧急",
        "滨江区停水三天了",
    ]
    assert main(argv) == 0
    assert "路由：主办" in capsys.readouterr().out


def test_a_dispatched_order_is_shown_led_by_its_unit(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["route", "--responders", str(ROOT / "responders")]
    text = "滨江区某小区门口垃圾堆积半个月没人清理，臭气熏天"
    assert main([*base, "--hotline-urgency", "一般", "--handler-unit", "云江水务集团", text]) == 0
    out = capsys.readouterr().out
    assert "路由：主办 云江市水务局（shuiwu）" in out and "12345派单至“云江水务集团”" in out
    # a unit belongs to a 12345 order: without an urgency it is refused, not ignored
    assert main([*base, "--handler-unit", "云江水务集团", text]) == 2
    assert "are a 12345 order's; give --hotline-urgency too" in capsys.readouterr().err
    helped = ["--hotline-urgency", "一般", "--handler-unit", "水务局", "--assist-unit", "生态环境局"]
    assert main([*base, *helped, text]) == 0
    assert "12345派单协办：生态环境局 → 云江市生态环境局" in capsys.readouterr().out
