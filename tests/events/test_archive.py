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


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"published_at": 1e400}, "published_at: out of range (1970 to 8999): inf"),
        ({"published_at": -1e20}, "published_at: out of range (1970 to 8999): -1e+20"),
        ({"published_at": float("nan")}, "published_at: expected ISO 8601 or Unix seconds"),
        (
            {"published_at": "0001-01-01T00:00:00+14:00"},
            "published_at: out of range (1970 to 8999): '0001-01-01T00:00:00+14:00'",
        ),
        ({"published_at": "9999-12-31T23:59:59-14:00"}, "published_at: out of range (1970 to 8999)"),
        ({"published_at": "yesterday"}, "published_at: not an ISO 8601 time: 'yesterday'"),
        (
            {"published_at": "2026-13-01"},
            "published_at: not an ISO 8601 time: '2026-13-01' (month must be in 1..12)",
        ),
        ({"followers": 1e400}, "followers: out of range (at most 1000000000000): inf"),
        ({"followers": "many"}, "followers: expected a number, got 'many'"),
        ({"followers": float("nan")}, "followers: expected a number, got nan"),
        ({"verified_type": 2**40}, "verified_type: out of range (at most 2147483647)"),
        ({"reposts": "1e30"}, "reposts: out of range (at most 1000000000000): '1e30'"),
        ({"likes": "lots"}, "likes: expected a number, got 'lots'"),
    ],
)
def test_bad_values_are_their_line_problem_naming_the_field(fields: dict[str, object], problem: str) -> None:
    posts, problems = read_archive([line(id="ok"), line(id="bad", **fields)])
    assert [p.id for p in posts] == ["ok"]
    assert len(problems) == 1 and problems[0].startswith(f"line 2: {problem}"), problems


def test_hostile_json_is_a_line_problem() -> None:
    _, problems = read_archive(["[" * 100_000, "1" * 5000])
    assert problems == [
        "line 1: not JSON: nested too deeply",
        "line 2: not JSON: a number has too many digits",
    ]


def test_nul_and_lone_surrogates_are_cleaned_as_stored_text_is() -> None:
    raw = '{"id": "a\\u0000", "text": "停\\u0000水 \\ud800", "author": "\\u0000", "title": "\\udfff",'
    raw += ' "published_at": 1780272000}'
    posts, problems = read_archive([raw, line(id="\x00")])
    assert problems == ["line 2: id: required"]  # an id of NUL alone is no id
    (post,) = posts
    assert (post.id, post.text, post.author, post.title) == ("a", "停水 \ufffd", None, "\ufffd")
    post.text.encode("utf-8")  # what asyncpg and the fingerprint do with it
