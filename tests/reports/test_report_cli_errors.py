"""`yuqing report` with bad arguments or no database: a clear error before any database work."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[2]
RESPONDERS = str(ROOT / "responders")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--incident", "99999999999999999999"], "--incident"),
        (["--incident", "0"], "--incident"),
        (["--period", "day", "--date", "0001-01-01"], "--date"),
        (["--period", "week", "--date", "9999-12-31"], "--date"),
        (["--period", "day", "--date", "yesterday"], "--date"),
        (["--period", "day", "--out", "{tmp}"], "--out"),
        (["--period", "day", "--out", "{tmp}/nonexistent/x.html"], "--out"),
    ],
)
def test_bad_arguments_are_argparse_errors_naming_the_argument(
    args: list[str], option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", *(a.format(tmp=tmp_path) for a in args), "--responders", RESPONDERS])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"yuqing report: error: argument {option}: " in err and "Traceback" not in err


def test_without_a_database_the_report_says_where_it_looked_and_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("YUQING_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--period", "day", "--responders", RESPONDERS]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("yuqing report: no database: DATABASE_URL is not set")
    assert str(tmp_path / ".yuqing") in err and "YUQING_DATA_DIR" in err
    assert list(tmp_path.iterdir()) == []  # no .yuqing/, no embedded server
