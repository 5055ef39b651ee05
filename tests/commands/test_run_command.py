"""`yuqing run` start-up: waits for an external PostgreSQL, then gives up with a clear message; bad settings
are named."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _run(
    env_extra: dict[str, str], timeout: float = 60, listen: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "DATABASE_URL", "YQ_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "--listen", f"127.0.0.1:{listen or free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_an_unreachable_database_is_waited_for_then_named() -> None:
    port = free_port()  # nobody listens there
    result = _run({"DATABASE_URL": f"postgresql://yuqing:pw@127.0.0.1:{port}/yuqing", "YUQING_DB_WAIT": "2"})
    assert result.returncode == 1, result.stderr
    assert "waiting for PostgreSQL at 127.0.0.1" in result.stderr
    assert f"PostgreSQL at 127.0.0.1:{port}/yuqing did not answer within 2 s" in result.stderr
    assert "Traceback" not in result.stderr and "pw" not in result.stderr.replace("pwd", "")


def test_bad_settings_are_all_named() -> None:
    result = _run({"YUQING_DB_WAIT": "soon", "YUQING_ANALYSIS_PROCESSES": "many"})
    assert result.returncode != 0
    assert "YUQING_DB_WAIT" in result.stderr and "YUQING_ANALYSIS_PROCESSES" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_named_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "DATABASE_URL"))}
        result = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "run", "--listen", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"yuqing run: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr and "embedded PostgreSQL" not in result.stdout + result.stderr


def test_a_pii_salt_too_short_to_protect_callers_is_refused_at_start() -> None:
    result = _run({"YUQING_PII_SALT": "abc123", "DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    assert result.returncode == 1, result.stderr
    assert "YUQING_PII_SALT is too short" in result.stderr and "not starting" in result.stderr
    assert "abc123" not in result.stderr and "waiting for PostgreSQL" not in result.stderr


def test_started_in_the_wrong_directory_it_names_both_missing_files(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "DATABASE_URL", "YQ_"))}
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "--listen", f"127.0.0.1:{free_port()}"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"responders: responders directory not found (looked in {tmp_path})" in result.stderr
    assert f"sources.yaml: file not found (looked in {tmp_path})" in result.stderr
    assert not (tmp_path / ".yuqing").exists()  # stopped before any database was made
