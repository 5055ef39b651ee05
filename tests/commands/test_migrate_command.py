"""`yuqing migrate` says what it applied, or that there was nothing to apply; the embedded server announces
itself once, on stderr, so standard output holds only the command's answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.db.migrate import bundled_migrations

ROOT = Path(__file__).resolve().parents[2]


def _yuqing(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.timeout(300)
def test_migrate_names_what_it_applied_then_says_up_to_date(tmp_path: Path) -> None:
    total = len(bundled_migrations())
    first = _yuqing("migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == f"applied {total} of {total} migrations:"
    assert lines[1:] == [f"  {m.version}_{m.name}" for m in bundled_migrations()]
    assert first.stderr.count("embedded PostgreSQL") == 1
    assert str(tmp_path / ".yuqing" / "pgdata") in first.stderr

    again = _yuqing("migrate", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"database is up to date ({total} migrations)\n"
    assert again.stderr.count("embedded PostgreSQL") == 1 and "Traceback" not in again.stderr
