"""Kind `weibo` on real m.weibo.cn responses, plus the login wall, nested search cards and repost chains."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.clock import SHANGHAI
from monitor.config.sources import Source
from monitor.secrets import SecretError
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult
from monitor.sources.kinds.weibo import WeiboKind
from tests.sources.conftest import build_sources

# 2026-06-01 10:30 in Shanghai
NOW = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "data" / "feeds" / "weibo_api_fixtures"
TIMELINE = FIXTURES / "gottaegbert_weiboAPI" / "getIndex_containerid-1076031669879400__weibo_cards_page2.json"
GAME = FIXTURES / "zhangfaliang_koa2" / "getIndex_containerid-1076035529945701__weibo_cards_page2.json"


@pytest.fixture
def source(tmp_path: Path) -> Source:
    entries = [
        {"id": "wb", "kind": "weibo", "mode": "user", "uid": "1669879400", "cookie_env": "WEIBO_COOKIE"}
    ]
    return build_sources(tmp_path, entries)[0]


def parse(source: Source, body: bytes | dict[str, Any], now: datetime = NOW) -> ParseResult:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return WeiboKind().parse(ParseContext(source, now), raw, {"Content-Type": "application/json"})


def mblog(mid: str, text: str, **fields: Any) -> dict[str, Any]:
    user = {"id": 7000 + int(mid), "screen_name": f"用户{mid}", "followers_count": 120, "verified_type": -1}
    return {"id": mid, "created_at": "刚刚", "text": text, "user": user} | fields


def test_real_timeline_page(shared_data: Path, source: Source) -> None:
    result = parse(source, TIMELINE.read_bytes())
    by_id = {p.external_id: p for p in result.posts}
    assert len(by_id) == 11  # 10 cards + the original one of them reposts
    first = by_id["4383183661430868"]
    assert first.author == "Dear-迪丽热巴" and first.author_id == "1669879400"
    assert first.author_followers == 63356825 and first.author_verified_type == 0
    assert first.text == "搬完这块砖，就可以吃好吃的了[偷笑][偷笑][偷笑]"
    assert (first.reposts, first.comments, first.likes) == (240492, 95535, 348872)
    assert first.url == "https://m.weibo.cn/status/HyTZc60ew"
    # "06-14" has no year; on 2026-06-01 it can only be last year's 14 June
    assert first.published_at == datetime(2025, 6, 14, tzinfo=SHANGHAI)
    capped = by_id["4379188905591760"]
    assert (capped.reposts, capped.comments, capped.likes) == (1_000_000, 1_000_000, 1049077)


def test_real_repost_chain(shared_data: Path, source: Source) -> None:
    posts = {p.external_id: p for p in parse(source, TIMELINE.read_bytes()).posts}
    repost = posts["4383180406740606"]
    original = posts[repost.parent_external_id or ""]
    assert repost.root_external_id == original.external_id
    assert original.parent_external_id is None
    assert original.author == "代斯daisy"
    assert original.extra["seen_via_repost"] == repost.external_id


def test_real_long_text_and_relative_hours(shared_data: Path, source: Source) -> None:
    posts = {p.external_id: p for p in parse(source, GAME.read_bytes()).posts}
    long = posts["4393264377139656"]
    assert long.extra["truncated"] is True
    assert long.text.endswith("4.新时装：向日葵先生套 ...") and "全文" not in long.text
    assert posts["4394384827138748"].published_at == datetime(2026, 5, 31, 11, 30, tzinfo=UTC)  # 15小时前


def test_album_and_profile_responses_hold_no_posts(shared_data: Path, source: Source) -> None:
    album = FIXTURES / "zhangfaliang_koa2" / "getIndex_containerid-1078031660475004__album.json"
    assert parse(source, album.read_bytes()).posts == ()
    profile = FIXTURES / "gottaegbert_weiboAPI" / "getIndex_type-uid_value-1669879400__profile.json"
    with pytest.raises(ParseFailure, match=r"no data\.cards"):
        parse(source, profile.read_bytes())


def test_search_results_nest_mblogs_in_card_groups(source: Source) -> None:
    document = {
        "ok": 1,
        "data": {
            "cards": [
                {"card_type": 11, "card_group": [{"card_type": 9, "mblog": mblog("1", "云江暴雨")}]},
                {"card_type": 11, "card_group": [{"card_type": 17, "desc": "热门"}]},
                {"card_type": 9, "mblog": mblog("2", "滨江积水", region_name="发布于 浙江")},
                {"card_type": 9, "mblog": mblog("1", "duplicate of the first")},
                "garbage",
            ]
        },
    }
    posts = parse(source, document).posts
    assert [p.external_id for p in posts] == ["1", "2"]
    assert posts[0].text == "云江暴雨" and posts[0].published_at == NOW
    assert posts[0].author_verified_type is None  # -1 means not verified
    assert posts[1].region_hint == "浙江"


def test_government_account_and_chinese_follower_counts(source: Source) -> None:
    blog = mblog("3", "通报", reposts_count="1.2万", comments_count="评论", attitudes_count="3亿")
    blog["user"] |= {
        "verified_type": 1,
        "followers_count": "56.3万",
        "verified_reason": "云江市人民政府官方微博",
    }
    post = parse(source, {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": blog}]}}).posts[0]
    assert (post.reposts, post.comments, post.likes) == (12_000, 0, 300_000_000)
    assert post.author_verified_type == 1 and post.author_followers == 563_000
    assert post.extra["verified_reason"] == "云江市人民政府官方微博"


def test_deleted_original_is_referenced_but_not_emitted(source: Source) -> None:
    gone = {"id": "99", "text": "抱歉，此微博已被作者删除。查看帮助：", "created_at": "06-01"}
    document = {
        "ok": 1,
        "data": {"cards": [{"card_type": 9, "mblog": mblog("4", "//@x: 转发", retweeted_status=gone)}]},
    }
    (post,) = parse(source, document).posts
    assert post.parent_external_id == "99"


@pytest.mark.parametrize(
    ("document", "kind", "words"),
    [
        ({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}, "blocked", "login wall"),
        ({"ok": 0, "msg": "请求过于频繁"}, "blocked", "rate limit"),
        ({"ok": 2}, "parse_error", "ok=2"),
        ({"ok": 1, "data": {"cardlistInfo": {}}}, "parse_error", "data.cards"),
        (
            b"<html><script>location='https://passport.weibo.cn/visitor/visitor'</script></html>",
            "blocked",
            "visitor",
        ),
        (b"<html>500 Internal</html>", "parse_error", "expected getIndex JSON"),
        (b"[1, 2]", "parse_error", "JSON object"),
    ],
)
def test_login_walls_bans_and_junk(source: Source, document: Any, kind: str, words: str) -> None:
    with pytest.raises(ParseFailure) as failure:
        parse(source, document)
    assert failure.value.kind == kind and words in failure.value.detail


def test_empty_result_is_a_success(source: Source) -> None:
    result = parse(source, {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
    assert result.posts == () and "这里还没有内容" in result.notes[0]


def test_search_requests(tmp_path: Path) -> None:
    entry = {"id": "s", "kind": "weibo", "mode": "search", "query": "云江 爆炸", "pages": 2}
    source = build_sources(tmp_path, [entry])[0]
    first, second = WeiboKind().build_requests(source, {})
    query = parse_qs(urlsplit(first.url).query)
    assert urlsplit(first.url).path == "/api/container/getIndex"
    assert query["containerid"] == ["100103type=61&q=云江 爆炸&t=0"]
    assert "page" not in query and parse_qs(urlsplit(second.url).query)["page"] == ["2"]
    assert not first.conditional and first.headers["Referer"] == "https://m.weibo.cn/"
    assert "Cookie" not in first.headers


def test_user_requests_send_the_cookie_from_the_environment(source: Source) -> None:
    (request,) = WeiboKind().build_requests(source, {"WEIBO_COOKIE": "SUB=abc"})
    assert parse_qs(urlsplit(request.url).query)["containerid"] == ["1076031669879400"]
    assert request.headers["Cookie"] == "SUB=abc"
    with pytest.raises(SecretError, match="WEIBO_COOKIE") as missing:
        WeiboKind().build_requests(source, {})
    assert "SUB=abc" not in str(missing.value)


def test_a_long_post_asks_for_its_full_text_and_is_completed(shared_data: Path, source: Source) -> None:
    result = parse(source, GAME.read_bytes())
    (follow_up,) = result.follow_ups
    assert follow_up.external_id == "4393264377139656"
    assert follow_up.url == "https://m.weibo.cn/statuses/extend?id=4393264377139656"
    preview = next(p for p in result.posts if p.external_id == follow_up.external_id)
    extend = FIXTURES / "gottaegbert_weiboAPI" / "statuses_extend_id-4383487819465288.json"
    full = WeiboKind().complete(preview, extend.read_bytes())
    assert full.text.startswith("😄😆😊") and "\nNature\n" in full.text and "<br" not in full.text
    assert full.extra["long_text"] is True and "truncated" not in full.extra
    for junk in (b"not json", b'{"ok": 0}', b'{"ok": 1, "data": {"longTextContent": ""}}', b"[]"):
        assert WeiboKind().complete(preview, junk) == preview
