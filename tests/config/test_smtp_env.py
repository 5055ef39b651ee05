"""`yuqing check` and `yuqing run` name an unusable YUQING_SMTP_PORT or YUQING_SMTP_TLS up front, as a
problem: no traceback, and no start that would send mail in plain text."""

from __future__ import annotations

from tests.commands.test_run_command import _run
from tests.config.test_env_references import _check
from tests.ports import free_port

BAD = {"YUQING_SMTP_PORT": "smtp", "YUQING_SMTP_TLS": "startls"}
PORT = "environment: YUQING_SMTP_PORT: expected a port number from 1 to 65535 (default 25), got 'smtp'"
TLS = "environment: YUQING_SMTP_TLS: expected one of none, starttls, tls (default none), got 'startls'"


def test_check_reports_bad_smtp_settings_as_problems() -> None:
    done = _check(BAD)
    assert done.returncode == 1, done.stderr
    assert "configuration OK" not in done.stdout
    lines = done.stderr.splitlines()
    assert PORT in lines and TLS in lines
    assert "2 problem(s) found" in lines
    assert "Traceback" not in done.stderr


def test_check_accepts_usable_smtp_settings() -> None:
    done = _check({"YUQING_SMTP_PORT": "587", "YUQING_SMTP_TLS": "starttls"})
    assert done.returncode == 0, done.stderr
    assert "YUQING_SMTP_PORT" not in done.stderr and "YUQING_SMTP_TLS" not in done.stderr


def test_run_refuses_bad_smtp_settings_before_anything_starts() -> None:
    db = free_port()  # nobody listens there: reaching the database would be a failure of its own
    env = {"DATABASE_URL": f"postgresql://x@127.0.0.1:{db}/x", "YUQING_DB_WAIT": "0", **BAD}
    result = _run(env)
    assert result.returncode == 1, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert "yuqing run: configuration has problems; not starting:" in lines
    assert PORT in lines and TLS in lines
    assert "PostgreSQL" not in result.stderr and "Traceback" not in result.stderr


def test_run_names_smtp_and_service_settings_together() -> None:
    result = _run({"YUQING_DB_WAIT": "soon", "YUQING_SMTP_TLS": "startls"})
    assert result.returncode == 1, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert "environment: YUQING_DB_WAIT: expected seconds from 0 to 3600, got 'soon'" in lines
    assert TLS in lines
