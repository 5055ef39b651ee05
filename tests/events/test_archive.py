"""Replay archives (pure): line validation, time parsing, repost roots and poll times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.pipeline.archive import parse_time, read_archive, roots
from monitor.pipeline.replay import poll_time


def line(**kw: object) -> str:
    return json.dumps({"id": "1", "text": "滨江停水", "published_at": "2026-06-01T08:00:00+08:00", **kw})


def test_valid_lines_sorted_by_time_and_bad_lines_reported() -> None:
    lines = [
        line(id="b", published_at="2026-06-01T09:00:00+08:00", reposts="12", source="news"),
        line(id="a", followers=5, verified_type=1, parent_id="b"),
        "not json",
        json.dumps([1, 2]),
        line(id="", text="x"),
        line(id="c", text="   "),
        line(id="d", source="tiktok"),
        line(id="e", published_at=None),
        line(id="f", reposts=[1]),
        line(id="a"),
        "",
    ]
    posts, problems = read_archive(lines)
    assert [p.id for p in posts] == ["a", "b"]
    assert posts[1].source == "news" and posts[1].reposts == 12 and posts[0].verified_type == 1
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10)]
    assert "duplicate id" in problems[-1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-06-01T08:00:00+08:00", datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
        ("2026-06-01 08:00:00", datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),  # naive means Asia/Shanghai
        ("2026-06-01T00:00:00Z", datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
        (1780272000, datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(raw: object, expected: datetime) -> None:
    assert parse_time(raw) == expected


def test_parse_time_rejects_junk() -> None:
    for bad in (True, "", None, "yesterday"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_repost_roots_follow_parents_and_stop_at_cycles() -> None:
    posts, _ = read_archive(
        [
            line(id="r"),
            line(id="c1", parent_id="r"),
            line(id="c2", parent_id="c1"),
            line(id="x", parent_id="y"),
            line(id="y", parent_id="x"),
        ]
    )
    got = roots(posts)
    assert got["c1"] == "r" and got["c2"] == "r"
    assert set(got) == {"c1", "c2", "x", "y"}  # a cycle ends somewhere, it never loops forever


def test_poll_time_rounds_up_to_the_cycle() -> None:
    t = datetime(2026, 6, 1, 8, 1, 30, tzinfo=UTC)
    assert poll_time(t, timedelta(minutes=5)) == datetime(2026, 6, 1, 8, 5, tzinfo=UTC)
    assert poll_time(datetime(2026, 6, 1, 8, 5, tzinfo=UTC), timedelta(minutes=5)).minute == 5
    assert poll_time(t, timedelta(0)) == t
