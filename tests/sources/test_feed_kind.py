"""Kind `feed` on real corpora: feedparser's encoding and ill-formed suites, Miniflux, WeChat bridges."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from monitor.clock import SHANGHAI
from monitor.config.sources import Source
from monitor.sources.entries import entries_to_posts
from monitor.sources.fastfeed import fast_entries
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult
from monitor.sources.kinds.feed import FeedKind, _feedparser_entries, read_feed
from monitor.sources.post import Post
from tests.sources.conftest import build_sources, rss

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
FEEDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "feeds"
CORPUS = sorted((FEEDS / "feedparser_testcorpus" / "tests").rglob("*.xml")) if FEEDS.exists() else []
# We strip HTML ourselves, so feedparser's sanitizer (which rewrites these two) is switched off.
SANITIZER_DEPENDENT = {"bozo_linenoise.xml", "demoronize-3.xml"}


@pytest.fixture
def source(tmp_path: Path) -> Source:
    return build_sources(tmp_path, [{"id": "news", "kind": "feed", "url": "http://news.example/rss"}])[0]


@pytest.fixture
def wechat(tmp_path: Path) -> Source:
    entry = {"id": "wx", "kind": "feed", "flavor": "wechat", "url": "http://wewe-rss.example/feeds/a.atom"}
    return build_sources(tmp_path, [entry])[0]


def parse(source: Source, body: bytes, content_type: str = "application/rss+xml") -> ParseResult:
    return FeedKind().parse(ParseContext(source, NOW), body, {"Content-Type": content_type})


def _header_comment(body: bytes) -> str:
    for encoding in ("latin-1", "utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        try:
            head = body.decode(encoding)[:2000]
        except UnicodeDecodeError:
            continue
        if "Expect:" in head:
            return head
    raise AssertionError("corpus file without an Expect: line")


def _oracle_applies(path: Path) -> bool:
    """False for expectations about machinery we replace: feedparser's HTML sanitizer (we strip HTML
    ourselves) and chardet guessing (charset-normalizer; test_undeclared_legacy_encodings_are_detected)."""
    if path.name in SANITIZER_DEPENDENT:
        return False
    skip = re.search(r"SkipUnless:\s*(.*)", _header_comment(path.read_bytes()))
    return not (skip and "chardet" in skip.group(1))


CHECKED = [p for p in CORPUS if _oracle_applies(p)]


def test_corpus_is_there(shared_data: Path) -> None:
    assert len(CORPUS) == 101, "the feedparser corpus in shared/data/feeds is incomplete"
    # Only the ten oracles about replaced machinery are left out; every other file's oracle is checked.
    assert len(CORPUS) - len(CHECKED) == 10


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_feedparser_corpus_expectations_hold_through_our_reader(path: Path) -> None:
    """Each file's own `Expect:` oracle, evaluated on what our reader (with its HTTP headers) produced."""
    body = path.read_bytes()
    head = _header_comment(body)
    headers = {
        m.group(1).strip(): m.group(2).strip() for m in re.finditer(r"Header:\s*([^:]+):\s*(.*)", head)
    }
    expect = re.search(r"Expect:\s*(.*)", head)
    assert expect is not None
    parsed, _ = read_feed(body, headers)
    assert eval(expect.group(1).strip(), {"feedparser": feedparser}, parsed), expect.group(1)


@pytest.mark.parametrize("path", CORPUS + sorted(FEEDS.rglob("miniflux_feed_testdata/**/*.*ml")), ids=str)
def test_every_corpus_file_parses_or_fails_cleanly(source: Source, path: Path) -> None:
    try:
        result = parse(source, path.read_bytes(), "application/xml")
    except ParseFailure as failure:
        assert failure.kind == "parse_error" and failure.detail
        return
    for post in result.posts:
        assert post.external_id and post.published_at.tzinfo is not None


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("gb2312.xml", "不归移民漫画系列：专业工作"),
        ("euckr.xml", "EUC-KR 에서 TypeKey 한글닉네임 표시하기"),
        ("shiftjis.xml", "DrecomRSSに記事投稿が反映されない…"),
        ("koi8r.xml", "Как пережить новогоднюю ночь"),
    ],
)
def test_undeclared_legacy_encodings_are_detected(source: Source, name: str, title: str) -> None:
    path = FEEDS / "feedparser_testcorpus" / "tests" / "illformed" / "chardet" / name
    result = parse(source, path.read_bytes(), "application/xml")
    assert result.posts[0].title == title
    assert any("detected" in note for note in result.notes)


def test_big5_feed_title_is_decoded(source: Source) -> None:
    path = FEEDS / "feedparser_testcorpus" / "tests" / "illformed" / "chardet" / "big5.xml"
    parsed, notes = read_feed(path.read_bytes(), {"Content-Type": "application/xml"})
    assert parsed.feed.title.startswith("我希望")
    assert notes == ["no declared encoding; detected big5"]


def test_gb2312_declared_by_http_charset_overrides_the_document(source: Source) -> None:
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><guid>1</guid><title>云江市暴雨预警</title></item></channel></rss>"
    ).encode("gb2312")
    result = parse(source, feed, "application/rss+xml; charset=gb2312")
    assert result.posts[0].title == "云江市暴雨预警"


@pytest.mark.parametrize(
    ("name", "count"),
    [("large_rss.xml", 25), ("large_atom.xml", 20), ("rdf_UTF8.xml", 2), ("encoding_WINDOWS-1251.xml", 1)],
)
def test_miniflux_real_world_feeds(source: Source, name: str, count: int) -> None:
    path = FEEDS / "miniflux_feed_testdata" / "internal" / "reader" / "parser" / "testdata" / name
    result = parse(source, path.read_bytes())
    assert len(result.posts) >= count
    assert len({p.external_id for p in result.posts}) == len(result.posts)
    assert all(p.title or p.text for p in result.posts)
    assert not any(re.search(r"<(p|div|a|img|br|span)\b", p.text) for p in result.posts)


def test_windows_1251_is_decoded(source: Source) -> None:
    path = FEEDS / "miniflux_feed_testdata/internal/reader/parser/testdata/encoding_WINDOWS-1251.xml"
    result = parse(source, path.read_bytes())
    assert any(re.search("[а-яА-Я]", p.title + p.text) for p in result.posts)


def test_wechat_bridge_feeds_with_iso_dates_and_cjk_urls(wechat: Source) -> None:
    files = sorted((FEEDS / "wechat_rss_synthetic_feeds" / "rss").glob("*.xml"))
    assert len(files) == 22
    total = 0
    for path in files:
        result = parse(wechat, path.read_bytes())
        total += len(result.posts)
        for post in result.posts:
            assert post.published_at.year == 2025 and post.extra["flavor"] == "wechat"
            assert post.author  # the account: entry author or the feed title
    assert total == 52
    first = parse(wechat, (FEEDS / "wechat_rss_synthetic_feeds/rss/小道消息.xml").read_bytes()).posts[0]
    assert first.url == "https://mp.weixin.qq.com/s/daily_小道消息"
    assert first.published_at == datetime(2025, 10, 17, 14, 24, 37, tzinfo=SHANGHAI)


def test_naive_dates_are_shanghai_time_and_cst_means_china(source: Source) -> None:
    feed = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><guid>a</guid><title>a</title><pubDate>2025-10-19 18:16:08</pubDate></item>"
        b"<item><guid>b</guid><title>b</title><pubDate>Sun, 19 Oct 2025 18:16:08 CST</pubDate></item>"
        b"</channel></rss>"
    )
    a, b = parse(source, feed).posts
    assert a.published_at == datetime(2025, 10, 19, 18, 16, 8, tzinfo=SHANGHAI)
    assert b.published_at == a.published_at


def test_missing_and_future_dates_are_stamped_now_and_flagged(source: Source) -> None:
    feed = (
        b'<rss version="2.0"><channel><title>t</title><item><guid>a</guid><title>a</title></item>'
        b"<item><guid>b</guid><title>b</title><pubDate>Mon, 01 Jun 2099 00:00:00 +0000</pubDate></item>"
        b"</channel></rss>"
    )
    a, b = parse(source, feed).posts
    assert a.published_at == NOW and a.extra["date_missing"] is True
    assert b.published_at == NOW and b.extra["future_date"].startswith("2099")


def test_duplicate_guids_keep_the_first_and_disambiguate_the_rest(source: Source) -> None:
    feed = rss([("same", "一", "x"), ("same", "二", "y"), ("same", "三", "z")]).replace(
        b"https://news.example/same", b"https://news.example/a", 1
    )
    ids = [p.external_id for p in parse(source, feed).posts]
    assert ids[0] == "same"
    assert len(set(ids)) == 3
    # parsing again gives the same identities: re-polls never duplicate
    assert ids == [p.external_id for p in parse(source, feed).posts]


def test_html_in_items_is_stripped(source: Source) -> None:
    feed = rss([("1", "&lt;b&gt;标题&lt;/b&gt;", "&lt;p&gt;正文&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;")])
    post = parse(source, feed).posts[0]
    assert (post.title, post.text) == ("标题", "正文")


def test_json_feed(source: Source) -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "云江发布",
        "items": [
            {
                "id": "2026-001",
                "url": "https://news.example/1",
                "title": "关于桃溪镇供水的通告",
                "content_html": "<p>今日起恢复供水。</p>",
                "date_published": "2026-05-31T09:00:00+08:00",
                "authors": [{"name": "云江发布"}],
                "tags": ["供水"],
            },
            "not an item",
        ],
    }
    posts = parse(source, json.dumps(document).encode(), "application/feed+json").posts
    assert len(posts) == 1
    assert posts[0].text == "今日起恢复供水。" and posts[0].author == "云江发布"
    assert posts[0].published_at == datetime(2026, 5, 31, 9, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "words"),
    [
        (b"<html><body><p>Welcome</p></body></html>", "text/html; charset=utf-8", "parse_error", "HTML"),
        (b"", "application/xml", "parse_error", "empty"),
        (b"  \n", "application/xml", "parse_error", "empty"),
        (b'{"data": []}', "application/json", "parse_error", "not a JSON Feed"),
        (b"{broken", "application/json", "parse_error", "invalid JSON"),
        (b"<note><to>x</to></note>", "application/xml", "parse_error", "not a feed"),
        (
            b'{"base_resp": {"ret": 200013, "err_msg": "freq control"}}',
            "application/json",
            "blocked",
            "200013",
        ),
        (b'{"code": 200003, "message": "invalid session"}', "application/json", "blocked", "200003"),
    ],
)
def test_unusable_bodies_fail_with_a_clear_reason(
    wechat: Source, body: bytes, content_type: str, kind: str, words: str
) -> None:
    with pytest.raises(ParseFailure) as failure:
        parse(wechat, body, content_type)
    assert failure.value.kind == kind
    assert words in failure.value.detail


def test_requests_are_conditional_and_carry_the_credential(tmp_path: Path) -> None:
    entry = {
        "id": "n",
        "kind": "feed",
        "url": "http://news.example/rss",
        "auth": {"header": "Authorization", "env": "NEWS_TOKEN", "prefix": "Bearer "},
    }
    source = build_sources(tmp_path, [entry])[0]
    (request,) = FeedKind().build_requests(source, {"NEWS_TOKEN": "s3cret"})
    assert request.conditional and request.url == "http://news.example/rss"
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert "yuqing" in request.headers["User-Agent"]


ALL_FEEDS = sorted(FEEDS.rglob("*.*ml")) if FEEDS.exists() else []


@pytest.mark.parametrize("path", ALL_FEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("content_type", ["application/xml", "application/rss+xml; charset=utf-8"])
def test_the_fast_reader_agrees_with_feedparser(path: Path, content_type: str) -> None:
    """Wherever the fast reader accepts a corpus document, its posts equal feedparser's exactly."""
    body = path.read_bytes()
    fast = fast_entries(body, content_type, "http://base.example/feed")
    if fast is None:
        return
    slow_entries, slow_title, _ = _feedparser_entries(
        body, {"content-type": content_type, "content-location": "http://base.example/feed"}
    )

    def key(posts: list[Post]) -> list[tuple[object, ...]]:
        return [(p.external_id, p.url, p.title, p.text, p.author, p.published_at, p.extra) for p in posts]

    mine = entries_to_posts(fast[0], source_id="s", now=NOW, flavor="news", feed_title=fast[1])
    theirs = entries_to_posts(slow_entries, source_id="s", now=NOW, flavor="news", feed_title=slow_title)
    assert (fast[1], key(mine)) == (slow_title, key(theirs))


def test_real_world_feeds_take_the_fast_path() -> None:
    wechat = sorted((FEEDS / "wechat_rss_synthetic_feeds" / "rss").glob("*.xml"))
    testdata = FEEDS / "miniflux_feed_testdata" / "internal" / "reader" / "parser" / "testdata"
    real = [*wechat, testdata / "large_rss.xml", testdata / "large_atom.xml", testdata / "urdu_UTF8.xml"]
    assert all(fast_entries(p.read_bytes(), "application/xml") is not None for p in real)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel/></rss>', "application/xml"),
        (b'<rss version="2.0"><channel/></rss>', "application/xml; charset=big5"),
        (
            b'<!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"><channel><title>&a;</title></channel></rss>',
            "",
        ),
        (b'<rss version="0.91"><channel/></rss>', ""),
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml">x</title></entry></feed>',
            "",
        ),
        (b'<rss version="2.0"><channel><item><pubDate>someday</pubDate></item></channel></rss>', ""),
        (b'<rss version="2.0"><channel><item><title>don&#146;t</title></item></channel></rss>', ""),
        (b'<rss version="2.0"><channel><item><title>unclosed</item></channel></rss>', ""),
    ],
)
def test_the_fast_reader_declines_what_it_does_not_handle_exactly(body: bytes, content_type: str) -> None:
    assert fast_entries(body, content_type) is None
