"""`yuqing run` start-up: one-click links default to the address listened on, a public URL phones cannot
open is warned about, a bad YUQING_PUBLIC_URL is named, and unset referenced secrets are listed."""

from __future__ import annotations

import pytest

from monitor.config.errors import ConfigError
from monitor.settings import Settings, listen_url, parse_public_url, public_url_warning
from tests.commands.test_run_command import _run
from tests.ports import free_port

ADVICE = "set YUQING_PUBLIC_URL to the address people reach the console at"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 18093, "http://127.0.0.1:18093"),
        ("10.20.0.5", 18094, "http://10.20.0.5:18094"),
        ("0.0.0.0", 18095, "http://127.0.0.1:18095"),
        ("::", 18096, "http://[::1]:18096"),
        ("::1", 18097, "http://[::1]:18097"),
    ],
)
def test_links_default_to_the_address_listened_on(host: str, port: int, url: str) -> None:
    assert listen_url(host, port) == url
    assert Settings.from_env({}, listen=(host, port)).public_url == url
    assert Settings(listen=(host, port)).public_url == url


def test_a_set_public_url_wins_and_is_normalised() -> None:
    env = {"YUQING_PUBLIC_URL": " https://yuqing.example.gov.cn/console/ "}
    settings = Settings.from_env(env, listen=("127.0.0.1", 18093))
    assert settings.public_url == "https://yuqing.example.gov.cn/console"


@pytest.mark.parametrize(
    "value", ["yuqing.example.gov.cn", "ftp://yuqing.example", "https://", "http://x:99999", "https://x/?a=1"]
)
def test_a_public_url_that_is_not_an_http_address_is_named(value: str) -> None:
    with pytest.raises(ValueError, match="YUQING_PUBLIC_URL"):
        parse_public_url(value)
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"YUQING_PUBLIC_URL": value, "YUQING_DB_WAIT": "soon"})
    assert {p.path for p in err.value.problems} == {"YUQING_PUBLIC_URL", "YUQING_DB_WAIT"}


@pytest.mark.parametrize(
    ("url", "configured", "expected"),
    [
        ("http://127.0.0.1:18093", False, "http://127.0.0.1:18093/, which phones cannot open"),
        ("http://10.20.0.5:18094", False, "http://10.20.0.5:18094/, the address listened on"),
        ("http://localhost:8080", True, "http://localhost:8080/, which phones cannot open"),
        ("https://[::1]/yq", True, "https://[::1]/yq/, which phones cannot open"),
        ("https://yuqing.example.gov.cn", True, None),
        ("http://10.20.0.5:8080", True, None),
    ],
)
def test_public_url_warning(url: str, configured: bool, expected: str | None) -> None:
    warning = public_url_warning(url, configured)
    if expected is None:
        assert warning is None
    else:
        assert warning is not None and warning.endswith(f"; {ADVICE}")
        assert warning.startswith(f"links in messages will point at {expected}")


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("yuqing run: warning: ")]


def test_run_warns_at_start_about_links_and_every_unset_secret() -> None:
    port, db = free_port(), free_port()
    result = _run({"DATABASE_URL": f"postgresql://x@127.0.0.1:{db}/x", "YUQING_DB_WAIT": "0"}, listen=port)
    assert result.returncode == 1, result.stderr  # no database here: the warnings come first
    warnings = _lines(result.stderr)
    assert warnings[0] == (
        f"yuqing run: warning: links in messages will point at http://127.0.0.1:{port}/, which phones "
        f"cannot open; {ADVICE}"
    )
    text = "\n".join(warnings)
    for needed in (
        "YQ_SHUIWU_WECOM_URL is not set (nor YQ_SHUIWU_WECOM_URL_FILE): needed by department shuiwu",
        "YQ_YINGJI_DINGTALK_SECRET is not set",
        "HOTLINE_PUSH_TOKEN or HOTLINE_PUSH_HMAC_SECRET is not set",
        "YUQING_PII_SALT is not set",
        "YUQING_SMS_GATEWAY_URL is not set",
    ):
        assert needed in text, needed
    assert "Traceback" not in result.stderr


def test_run_is_quiet_about_a_real_public_url_and_refuses_a_bad_one() -> None:
    db = free_port()
    env = {"DATABASE_URL": f"postgresql://x@127.0.0.1:{db}/x", "YUQING_DB_WAIT": "0"}
    good = _run({**env, "YUQING_PUBLIC_URL": "https://yuqing.example.gov.cn"})
    assert not any("links in messages" in line for line in _lines(good.stderr)), good.stderr
    bad = _run({**env, "YUQING_PUBLIC_URL": "yuqing.example.gov.cn"})
    assert bad.returncode == 1
    assert "YUQING_PUBLIC_URL: expected the http(s) address" in bad.stderr and "not starting" in bad.stderr
    assert "waiting for PostgreSQL" not in bad.stderr
