"""sources.yaml is strict: every problem is reported at once with its path, and `yuqing check` exits 1."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config.errors import ConfigError
from monitor.config.responders import Responders, load_responders
from monitor.config.sources import FeedSource, WeiboSource, load_sources
from monitor.config.types import parse_duration, parse_size

ROOT = Path(__file__).resolve().parents[2]

BROKEN = """\
defaults:
  interval: 5m
  colour: blue
sources:
  - id: news
    kind: feed
    url: https://news.example/rss
  - id: news
    kind: feed
    url: https://news.example/other
    region: atlantis
  - id: slow
    kind: feed
    url: ftp://news.example/rss
    interval: soon
    max_body: lots
    extra: 1
  - id: wb
    kind: weibo
    mode: search
  - id: hl
    kind: hotline
  - id: what
    kind: telegram
  - kind: feed
    url: https://x.example/
  - id: Bad Id
    kind: weibo
    mode: user
    uid: 12
    pages: 99
    cookie_env: "SUB=abc123"
"""
EXPECTED = [
    "defaults.colour: unknown key",
    'sources[2].interval: expected duration like "90s", "15m", "5h" or "7d"',
    'sources[2].max_body: expected size like "5MB" or "512KiB"',
    "sources[2].extra: unknown key",
    "sources[2].url: expected an http(s) URL",
    "sources[3]: mode: search needs `query`",
    "sources[4]: a hotline source needs `url` (polled) or `push: true`",
    "sources[5].kind: unknown value 'telegram'; expected one of 'feed', 'weibo', 'hotline'",
    "sources[6].id: required key is missing",
    "sources[7].id: String should match pattern",
    "sources[7].uid: Input should be a valid string",
    "sources[7].pages: Input should be less than or equal to 10",
    "sources[7].cookie_env: expected an environment variable NAME (A-Z, 0-9, _); secrets are never inline",
    "sources[1].id: duplicate source id 'news' (sources[0])",
    "sources[1].region: unknown region 'atlantis'",
]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_the_shipped_sources_yaml_loads(responders: Responders) -> None:
    sources = {s.id: s for s in load_sources(ROOT / "sources.yaml", known_regions=responders.regions)}
    assert len(sources) == 7
    search = sources["weibo-search-yunjiang"]
    assert isinstance(search.spec, WeiboSource) and search.interval == timedelta(minutes=2)
    assert search.per_host_min_gap >= timedelta(seconds=3)  # Weibo bans fast clients
    wechat = sources["wechat-yunjiangfabu"]
    assert isinstance(wechat.spec, FeedSource) and wechat.stale_after == timedelta(days=2)
    assert sources["news-yunjiang-daily"].max_body == 5 * 10**6


def test_every_problem_is_reported_together_with_its_path(broken: Path, responders: Responders) -> None:
    with pytest.raises(ConfigError) as err:
        load_sources(broken, known_regions=responders.regions)
    lines = [f"{p.path}: {p.message}" for p in err.value.problems]
    for expected in EXPECTED:
        assert any(line.startswith(expected) for line in lines), f"missing {expected!r} in {lines}"
    assert len(lines) == len(EXPECTED)
    assert all(p.file == str(broken) for p in err.value.problems)
    assert "abc123" not in str(err.value)


def test_yuqing_check_exits_1_listing_every_problem(broken: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "check",
            "--sources",
            str(broken),
            "--responders",
            str(ROOT / "responders"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    for expected in EXPECTED:
        assert f"{broken}: {expected}" in done.stderr
    assert f"{len(EXPECTED)} problem(s) found" in done.stderr


def test_yuqing_check_accepts_the_shipped_configuration() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--sources", str(ROOT / "sources.yaml"),
         "--responders", str(ROOT / "responders")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "7 sources" in done.stdout


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sources: [\n  - id: a\n    kind: feed\n   url: x\n", "YAML syntax error"),
        ("- just\n- a list\n", "expected a mapping"),
        ("sources:\n  - just a string\n", "sources[0]"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert problem in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"file not found$"):
        load_sources(tmp_path / "nope.yaml")


def test_missing_relative_paths_name_the_directory_looked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from the wrong directory, a command says where it looked, not just `sources.yaml`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_sources(Path("sources.yaml"))
    assert str(err.value.problems[0]) == f"sources.yaml: file not found (looked in {tmp_path})"
    with pytest.raises(ConfigError) as err:
        load_responders(Path("responders"))
    assert str(err.value.problems[0]) == f"responders: responders directory not found (looked in {tmp_path})"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("500ms", 0.5), (30, 30), (1.5, 1.5)],
)
def test_durations(raw: object, expected: float) -> None:
    assert parse_duration(raw).total_seconds() == expected


@pytest.mark.parametrize("raw", ["soon", "90", "5 minutes", "-5s", True, None, [1]])
def test_bad_durations(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("5MB", 5_000_000), ("512KiB", 524_288), (1024, 1024), ("2GiB", 2**31)]
)
def test_sizes(raw: object, expected: int) -> None:
    assert parse_size(raw) == expected


@pytest.mark.parametrize("raw", ["lots", 0, -1, "5 parsecs", True, "0", "0.1B"])
def test_bad_sizes(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_size(raw)
