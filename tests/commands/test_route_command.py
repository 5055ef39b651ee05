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
