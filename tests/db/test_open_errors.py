"""Opening the database with settings PostgreSQL refuses is one clear error naming the server, never the
password; and commands that must not create a database can tell whether one exists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.db.embedded import EmbeddedPostgres, start_embedded
from monitor.db.pool import DatabaseRefused, DatabaseUnavailable, connect, is_unavailable
from monitor.db.provision import database, missing_database, where

PASSWORD = "right-horse-battery"


@pytest.fixture
async def password_role(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A role that must give its password over the test server's socket; yields the socket directory."""
    hba = pg_server.data_dir / "pg_hba.conf"
    before = hba.read_text()
    admin = await connect(pg_server.uri)
    try:
        await admin.execute(f"DROP ROLE IF EXISTS pw_only; CREATE ROLE pw_only LOGIN PASSWORD '{PASSWORD}'")
        hba.write_text("local all pw_only scram-sha-256\n" + before)
        await admin.execute("SELECT pg_reload_conf()")
        yield parse_qs(urlsplit(pg_server.uri).query)["host"][0]
    finally:
        hba.write_text(before)
        await admin.execute("SELECT pg_reload_conf()")
        await admin.execute("DROP ROLE IF EXISTS pw_only")
        await admin.close()


async def _open(dsn: str, tmp_path: Path) -> DatabaseRefused:
    with pytest.raises(DatabaseRefused) as err:
        async with database(dsn, tmp_path, wait_s=30):
            pass
    return err.value


async def test_a_wrong_password_is_refused_at_once_without_the_password(
    password_role: str, tmp_path: Path
) -> None:
    err = await _open(f"postgresql://pw_only:not-{PASSWORD}@/postgres?host={password_role}", tmp_path)
    assert str(err).startswith(f"cannot use PostgreSQL at {password_role}:5432/postgres: ")
    assert "password authentication failed" in str(err) and PASSWORD not in str(err)
    assert not is_unavailable(err), "retrying a wrong password will not help"


async def test_a_missing_database_is_refused_naming_it(db_url: str, tmp_path: Path) -> None:
    bad = urlsplit(db_url)._replace(path="/no_such_database").geturl()
    err = await _open(bad, tmp_path)
    assert "/no_such_database" in str(err) and 'database "no_such_database" does not exist' in str(err)


@pytest.mark.parametrize(
    ("dsn", "said"),
    [
        ("mysql://yq:s3cret@db.example:3306/yq", "db.example:3306/yq"),
        ("postgresql://yq:s3cret@db.example:port/yq", "DATABASE_URL (not a valid URL)"),
        ("postgresql://yq:s3cret@[::1/yq", "DATABASE_URL (not a valid URL)"),
    ],
)
async def test_a_url_that_is_not_postgresql_is_refused(dsn: str, said: str, tmp_path: Path) -> None:
    err = await _open(dsn, tmp_path)
    assert f"cannot use PostgreSQL at {said}: " in str(err) and "s3cret" not in str(err)
    assert isinstance(err, DatabaseUnavailable)  # what `yuqing run` and the CLI report in one line


def test_where_names_the_socket_of_a_local_server() -> None:
    assert where("postgresql://postgres:@/postgres?host=/srv/yq/pgdata") == "/srv/yq/pgdata:5432/postgres"


def test_a_missing_embedded_database_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    data_dir = tmp_path / ".yuqing"
    assert missing_database("postgresql://db.example/yq", data_dir) is None
    problem = missing_database(None, data_dir)
    assert problem is not None and str(data_dir) in problem
    assert "YUQING_DATA_DIR" in problem and "DATABASE_URL" in problem and "\n" not in problem
    assert list(tmp_path.iterdir()) == []


def test_an_existing_embedded_database_is_found(tmp_path: Path) -> None:
    start_embedded(
        tmp_path / ".yuqing" / "pgdata"
    ).stop()  # what `yuqing run` leaves under its data directory
    assert missing_database(None, tmp_path / ".yuqing") is None
