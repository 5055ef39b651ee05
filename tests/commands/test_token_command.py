"""`yuqing token`: refuses to run where there is no database, lists tokens readably, and reports a database
it cannot open in one line."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from monitor.cli import main
from monitor.commands.token import render_tokens
from monitor.web.auth import TokenInfo

ROOT = Path(__file__).resolve().parents[2]
RESPONDERS = str(ROOT / "responders")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("YUQING_DATA_DIR", raising=False)


@pytest.mark.parametrize(
    "args",
    [["list"], ["create", "--person", "zhujian.head", "--responders", RESPONDERS], ["revoke", "1"]],
)
def test_no_database_here_is_refused_and_none_is_created(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["token", *args]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("yuqing token: no database: DATABASE_URL is not set")
    assert str(tmp_path / ".yuqing") in err and "YUQING_DATA_DIR" in err
    assert list(tmp_path.iterdir()) == []  # no .yuqing/, no initdb, no migrations


def _token(id_: int, **changes: object) -> TokenInfo:
    base: dict[str, object] = {
        "id": id_,
        "person_id": "zhujian.head",
        "label": "",
        "created_at": datetime(2026, 6, 1, 2, 30, 59, tzinfo=UTC),
        "expires_at": None,
        "revoked_at": None,
        "last_used_at": None,
    }
    base.update(changes)
    return TokenInfo(**base)  # type: ignore[arg-type]


def test_no_tokens_is_said() -> None:
    assert render_tokens([], datetime(2026, 6, 1, tzinfo=UTC), SHANGHAI) == ["no tokens"]


def test_tokens_are_listed_under_a_header_with_local_times_to_the_minute() -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    tokens = [
        _token(1, label="值班手机", last_used_at=datetime(2026, 6, 9, 16, 5, tzinfo=UTC)),
        _token(2, person_id="gongan.duty", expires_at=now - timedelta(days=1)),
        _token(13, expires_at=now + timedelta(days=80), revoked_at=now),
    ]
    lines = render_tokens(tokens, now, SHANGHAI)
    assert lines[0].split() == ["ID", "PERSON", "STATUS", "CREATED", "EXPIRES", "LAST", "USED", "LABEL"]
    assert lines[1] == (
        "1   zhujian.head  active   2026-06-01 10:30 CST  never                 "
        "2026-06-10 00:05 CST  值班手机"
    )
    assert lines[2].split()[:3] == ["2", "gongan.duty", "expired"]
    assert lines[3].split()[:3] == ["13", "zhujian.head", "revoked"]
    assert len({line.index("CST") for line in lines[1:]}) == 1, "columns line up"


def test_tokens_made_by_create_are_listed(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["token", "list", "--responders", RESPONDERS]) == 0
    assert capsys.readouterr().out == "no tokens\n"
    assert (
        main(["token", "create", "--person", "zhujian.head", "--label", "ops", "--responders", RESPONDERS])
        == 0
    )
    token = capsys.readouterr().out.strip()
    assert "\n" not in token and len(token) > 20  # stdout holds the token alone
    assert main(["token", "list", "--responders", RESPONDERS]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.startswith("ID  PERSON") and row.startswith("1   zhujian.head  active  ")
    assert row.endswith("  ops") and "CST" in row


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["token", "list"], ["migrate"]])
@pytest.mark.parametrize("kind", ["unreachable", "not postgresql", "no such database"])
def test_a_database_that_cannot_be_opened_is_one_line(
    command: list[str],
    kind: str,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = {
        "unreachable": f"postgresql://yq:s3cret@127.0.0.1:{_closed_port()}/yq",
        "not postgresql": "mysql://yq:s3cret@127.0.0.1:3306/yq",
        "no such database": urlsplit(db_url)._replace(path="/no_such_database").geturl(),
    }[kind]
    monkeypatch.setenv("DATABASE_URL", dsn)
    assert main(command) == 1  # an exception here is the traceback an operator would see
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"yuqing {command[0]}: ") and "s3cret" not in err
    assert (urlsplit(dsn).path or "/") in err
