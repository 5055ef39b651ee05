"""YUQING_SMTP_PORT and YUQING_SMTP_TLS are strict: a value that cannot be used is named, never a traceback
or a silent fall-back to plain SMTP."""

from __future__ import annotations

import pytest

from monitor.channels.email import SmtpSettings, smtp_env_problems


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (25, "none")),
        ({"YUQING_SMTP_PORT": " 587 ", "YUQING_SMTP_TLS": "starttls"}, (587, "starttls")),
        ({"YUQING_SMTP_PORT": "465", "YUQING_SMTP_TLS": "TLS"}, (465, "tls")),
        ({"YUQING_SMTP_PORT": "65535", "YUQING_SMTP_TLS": " none "}, (65535, "none")),
    ],
)
def test_usable_port_and_tls_settings(env: dict[str, str], expected: tuple[int, str]) -> None:
    settings = SmtpSettings.from_env(env)
    assert (settings.port, settings.tls) == expected
    assert smtp_env_problems(env) == []


@pytest.mark.parametrize("value", ["smtp", "0", "65536", "-25", "+25", "2_5", "25.0", "２５"])
def test_a_port_that_is_not_1_to_65535_is_named(value: str) -> None:
    expected = f"YUQING_SMTP_PORT: expected a port number from 1 to 65535 (default 25), got {value!r}"
    assert smtp_env_problems({"YUQING_SMTP_PORT": value}) == [expected]
    with pytest.raises(ValueError) as err:
        SmtpSettings.from_env({"YUQING_SMTP_PORT": value})
    assert str(err.value) == expected


@pytest.mark.parametrize("value", ["startls", "ssl", "yes", "true"])
def test_an_unknown_tls_mode_is_named_not_taken_for_none(value: str) -> None:
    expected = f"YUQING_SMTP_TLS: expected one of none, starttls, tls (default none), got {value!r}"
    assert smtp_env_problems({"YUQING_SMTP_TLS": value}) == [expected]
    with pytest.raises(ValueError) as err:
        SmtpSettings.from_env({"YUQING_SMTP_TLS": value})
    assert str(err.value) == expected


def test_both_problems_are_listed_at_once() -> None:
    problems = smtp_env_problems({"YUQING_SMTP_PORT": "smtp", "YUQING_SMTP_TLS": "startls"})
    assert [p.partition(":")[0] for p in problems] == ["YUQING_SMTP_PORT", "YUQING_SMTP_TLS"]
