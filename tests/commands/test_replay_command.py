"""`yuqing replay`: --anywhere opens incidents without a local place; bad arguments fail before the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.commands.replay import anywhere
from monitor.config.responders import Responders


def test_anywhere_turns_off_the_local_region_rule_only(responders: Responders) -> None:
    opened = anywhere(responders)
    assert responders.policy.grading.require_local_region is True  # the loaded config is untouched
    assert opened.policy.grading.require_local_region is False
    assert opened.policy.grading.model_dump(exclude={"require_local_region"}) == (
        responders.policy.grading.model_dump(exclude={"require_local_region"})
    )
    assert opened.departments is responders.departments and opened.policy.clocks == responders.policy.clocks


ARCHIVE_LINE = '{"id": "1", "text": "滨江停水", "published_at": "2026-06-01T08:00:00+08:00"}\n'


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.jsonl"
    path.write_text(ARCHIVE_LINE, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("option", "value"),
    [("--tick", "0s"), ("--tick", "2d"), ("--tick", "soon"), ("--drain", "9999d"), ("--batch", "0"),
     ("--batch", "-5"), ("--members-limit", "-1")],
)  # fmt: skip
def test_bad_options_are_argparse_errors(
    archive: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(archive), option, value])
    assert exited.value.code == 2
    assert f"error: argument {option}: expected" in capsys.readouterr().err


def test_a_directory_as_the_archive_is_named_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err == f"yuqing replay: {tmp_path}: is a directory, expected a JSON-lines file\n"
    )


@pytest.mark.parametrize(
    ("output", "problem"),
    [(".", "is a directory"), ("missing/report.json", "no such directory: {tmp}/missing")],
)
def test_an_unwritable_output_fails_before_the_replay(
    archive: Path,
    tmp_path: Path,
    output: str,
    problem: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []
    monkeypatch.setattr("monitor.commands.replay._replay", lambda *a: started.append(a))
    path = tmp_path / output
    assert main(["replay", str(archive), "--output", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"yuqing replay: --output {path}: {problem.format(tmp=tmp_path)}\n"
    assert started == []
