"""The normalised post: engagement counts as Weibo shows them, and the cross-source fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.sources.post import Post, content_fingerprint, parse_count

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, 0),
        (348872, 348872),
        ("348872", 348872),
        ("1,234", 1234),
        ("1.2万", 12_000),
        ("100万+", 1_000_000),
        ("3亿", 300_000_000),
        ("1.5w", 15_000),
        ("2K", 2_000),
        (" 12万 ", 120_000),
        ("转发", 0),
        ("赞", 0),
        ("", 0),
        (None, 0),
        (True, 0),
        (-5, 0),
        (12.7, 12),
        ({"n": 1}, 0),
    ],
)
def test_parse_count(raw: object, expected: int) -> None:
    assert parse_count(raw) == expected


def test_fingerprint_ignores_width_case_links_emoticons_and_punctuation() -> None:
    a = content_fingerprint("", "云江市滨江区化工厂爆炸，已致3人受伤！[泪] https://t.cn/abc", fallback="a")
    b = content_fingerprint("标题不同", "云江市滨江区化工厂爆炸 已致３人受伤", fallback="b")
    assert a == b


def test_fingerprint_differs_for_different_text() -> None:
    a = content_fingerprint("", "云江市滨江区化工厂爆炸，已致3人受伤", fallback="a")
    b = content_fingerprint("", "云江市滨江区化工厂爆炸，已致4人受伤", fallback="b")
    assert a != b


def test_short_text_uses_title_and_empty_posts_never_collide() -> None:
    with_title = content_fingerprint("桃溪镇自来水发黄多日无人管", "转发", fallback="x")
    assert with_title == content_fingerprint("桃溪镇自来水发黄多日无人管", "转发", fallback="y")
    assert content_fingerprint("", "转发微博", fallback="s:1") != content_fingerprint(
        "", "转发微博", fallback="s:2"
    )


def test_post_requires_aware_time_and_an_id() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Post("s", "feed", "1", datetime(2026, 6, 1))
    with pytest.raises(ValueError, match="external_id"):
        Post("s", "feed", "", NOW)
    post = Post("s", "feed", "1", NOW, text="云江市滨江区化工厂爆炸已致3人受伤")
    assert len(post.fingerprint) == 32
