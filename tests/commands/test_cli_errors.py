"""The `yuqing` entry point: a reader that goes away (`| head`) ends the command quietly, and a database
that cannot be opened is one line whichever command met it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import BROKEN_PIPE_STATUS, main
from monitor.db.pool import DatabaseRefused

ROOT = Path(__file__).resolve().parents[2]


def test_a_closed_standard_output_ends_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "route", "小区电梯故障困人，物业不管"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: gone before the first line
    try:
        err = proc.stderr.read()
        status = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status == BROKEN_PIPE_STATUS == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


def test_an_uncaught_database_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args: argparse.Namespace) -> int:
        raise DatabaseRefused('cannot use PostgreSQL at db.example:5432/yq: database "yq" does not exist')

    monkeypatch.setattr("monitor.commands.migrate.run", run)
    assert main(["migrate"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == 'yuqing migrate: cannot use PostgreSQL at db.example:5432/yq: database "yq" does not exist\n'
    )
