"""Fuzzing the pure parsers: hostile bytes, JSON, 12345 rows, dates, counts and config files.

Each parser may fail only with its own documented error (ParseFailure, OrderInvalid, PiiSaltMissing,
ConfigError); anything it returns must be storable as is (no NUL, no lone surrogate, no NaN in jsonb,
counts within bigint). Runs are derandomized for CI; set YUQING_FUZZ_EXAMPLES=5000 YUQING_FUZZ_RANDOM=1
to hunt further locally.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.config.errors import ConfigError
from monitor.config.responders import load_responders
from monitor.config.sources import Source, load_sources
from monitor.sources.dates import parse_datetime, resolve_weibo_date
from monitor.sources.fastfeed import fast_entries
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult, SourceKind
from monitor.sources.kinds.feed import FeedKind
from monitor.sources.kinds.hotline import HotlineKind
from monitor.sources.kinds.weibo import WeiboKind
from monitor.sources.orders import HotlineOrder, OrderInvalid, order_from_record
from monitor.sources.pii import PiiSaltMissing
from monitor.sources.post import MAX_COUNT, Post, parse_count
from monitor.sources.registry import ensure_source
from monitor.sources.store import store_orders, store_posts
from tests.reliability import strategies as fz

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:feedparser.*")
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
SALT = "fuzz-salt-0123456789abcdef"
REGION_CODES = {"339922": "yunjiang", "339922101": "qingshi-lingang"}
BIGINT = 2**63 - 1
INT32 = 2**31 - 1
_SCALE = int(os.environ.get("YUQING_FUZZ_EXAMPLES", "0"))
_RANDOM = os.environ.get("YUQING_FUZZ_RANDOM") == "1"


def fuzz(examples: int, deadline_s: float = 2.0) -> settings:
    """Bounded, reproducible settings; the deadline also catches a parser that hangs (regex blow-up)."""
    return settings(
        max_examples=_SCALE or examples,
        deadline=timedelta(seconds=deadline_s),
        derandomize=not _RANDOM,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


# ---- what "storable" means for the database --------------------------------------------------------


def assert_text(value: object, where: str) -> None:
    if value is None:
        return
    assert isinstance(value, str), (where, value)
    assert "\x00" not in value, f"{where}: PostgreSQL text cannot hold NUL"
    value.encode("utf-8")  # a lone surrogate cannot be sent to PostgreSQL


def assert_json(value: object, where: str) -> None:
    text = json.dumps(value, ensure_ascii=False, default=str, allow_nan=False)  # jsonb has no NaN
    assert "\\u0000" not in text, f"{where}: jsonb cannot hold \\u0000"
    text.encode("utf-8")


def assert_count(value: object, where: str, *, nullable: bool = False, limit: int = BIGINT) -> None:
    if value is None and nullable:
        return
    assert isinstance(value, int) and not isinstance(value, bool), (where, value)
    assert -limit <= value <= limit, (where, value)


def assert_storable(post: Post) -> None:
    assert isinstance(post, Post)
    assert post.published_at.tzinfo is not None and post.external_id
    for name in ("source_id", "source_kind", "external_id", "url", "author", "author_id", "title", "text"):
        assert_text(getattr(post, name), name)
    for name in ("region_hint", "parent_external_id", "root_external_id"):
        assert_text(getattr(post, name), name)
    for name in ("reposts", "comments", "likes"):
        assert_count(getattr(post, name), name)
        assert getattr(post, name) >= 0
    assert_count(post.author_followers, "author_followers", nullable=True)
    assert_count(post.author_verified_type, "author_verified_type", nullable=True, limit=INT32)
    assert_json(post.extra, "extra")
    assert post.fingerprint


ORDER_TEXT = (
    "order_no", "title", "content", "channel", "category", "urgency", "region", "handler_unit",
    "caller_name_masked", "caller_name_hash", "caller_phone_masked", "caller_phone_hash",
)  # fmt: skip


def assert_order_storable(order: HotlineOrder) -> None:
    for name in ORDER_TEXT:
        assert_text(getattr(order, name), name)
    for code in order.region_codes:
        assert_text(code, "region_codes")
    assert order.received_at.tzinfo is not None
    assert_json(order.extra, "extra")
    assert_storable(order.to_post("hotline"))


def check_result(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    ids = [p.external_id for p in result.posts]
    assert len(ids) == len(set(ids)), "one post per external id in a parse"
    for post in result.posts:
        assert_storable(post)
    for order in result.orders:
        assert_order_storable(order)
    for note in result.notes:  # notes and failure details are stored on the source's row
        assert_text(note, "note")
    assert {f.external_id for f in result.follow_ups} <= set(ids)


# ---- sources and corpus ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    """One source per parser, loaded from YAML like `yuqing run` does."""
    entries: list[dict[str, Any]] = [
        {"id": f"feed-{flavor}", "kind": "feed", "url": "https://news.example/rss.xml", "flavor": flavor}
        for flavor in ("news", "wechat", "weibo_rsshub", "generic")
    ]
    entries += [
        {"id": "weibo", "kind": "weibo", "mode": "search", "query": "云江"},
        {"id": "hotline-json", "kind": "hotline", "url": "https://12345.example/orders.json"},
        {"id": "hotline-csv", "kind": "hotline", "url": "https://12345.example/o.csv", "format": "csv"},
        {"id": "hotline-gbk", "kind": "hotline", "url": "https://12345.example/o.csv", "format": "csv",
         "encoding": "gb18030"},
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("fuzz") / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), "utf-8")
    return {s.id: s for s in load_sources(path)}


def _corpus(root: Path, suffixes: tuple[str, ...]) -> list[bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)
    assert files, f"no corpus under {root}"
    return [p.read_bytes() for p in files]


@pytest.fixture(scope="module")
def feed_corpus(shared_data: Path) -> list[bytes]:
    return _corpus(shared_data / "feeds", (".xml", ".html", ".json"))


@pytest.fixture(scope="module")
def weibo_corpus(shared_data: Path) -> list[bytes]:
    return _corpus(shared_data / "feeds" / "weibo_api_fixtures", (".json",))


def feed_parse(sources: dict[str, Source], flavor: str, body: bytes, content_type: str) -> None:
    ctx = ParseContext(sources[f"feed-{flavor}"], NOW)
    try:
        result = FeedKind().parse(ctx, body, {"Content-Type": content_type})
    except ParseFailure as failure:
        assert failure.kind in ("parse_error", "blocked")
        assert_text(failure.detail, "detail")
        return
    check_result(result)


flavors = st.sampled_from(("news", "wechat", "weibo_rsshub", "generic"))
content_types = st.sampled_from(fz.CONTENT_TYPES)


# ---- feeds -----------------------------------------------------------------------------------------


@fuzz(300, deadline_s=5)
@given(data=st.data(), flavor=flavors, content_type=content_types)
def test_feed_parser_on_mutated_real_feeds(
    feed_corpus: list[bytes], sources: dict[str, Source], data: st.DataObject, flavor: str, content_type: str
) -> None:
    original = data.draw(st.sampled_from(feed_corpus), label="corpus file")
    body = data.draw(fz.mutated(original, fz.XML_TOKENS + fz.JSON_TOKENS), label="mutated")
    feed_parse(sources, flavor, body, content_type)


RSS_DATE = b'<rss version="2.0"><channel><item><title>t</title><pubDate>%s</pubDate></item></channel></rss>'


@fuzz(400)
@given(document=fz.xml_feeds(), flavor=flavors)
@example(document=(RSS_DATE % "²".encode(), ""), flavor="news")
@example(document=(RSS_DATE % (b"9" * 400), ""), flavor="news")
@example(document=(RSS_DATE % b"0000-01-01", ""), flavor="news")
@example(
    document=(RSS_DATE.replace(b"<title>t", b"<title>&#123456789012345678901234567890;"), ""), flavor="news"
)
def test_feed_parser_on_generated_xml(
    sources: dict[str, Source], document: tuple[bytes, str], flavor: str
) -> None:
    body, content_type = document
    fast = fast_entries(body, content_type, "https://news.example/")
    assert fast is None or isinstance(fast, tuple)
    feed_parse(sources, flavor, body, content_type)


@fuzz(300)
@given(
    prefix=st.sampled_from(
        (b"", b"<?xml version='1.0'?>", b"<rss version='2.0'>", b"{", b"<feed>", b"\xef\xbb\xbf")
    ),
    noise=st.binary(max_size=2048),
    content_type=content_types,
)
def test_feed_parser_on_random_bytes(
    sources: dict[str, Source], prefix: bytes, noise: bytes, content_type: str
) -> None:
    feed_parse(sources, "generic", prefix + noise, content_type)


JSON_FEED = {"version": "https://jsonfeed.org/version/1.1"}


@fuzz(300)
@given(document=fz.json_feeds, ensure_ascii=st.booleans(), flavor=flavors)
@example(document=JSON_FEED | {"items": [{"id": "a", "title": "x\x00"}]}, ensure_ascii=True, flavor="news")
@example(document=JSON_FEED | {"items": [{"title": "\ud800"}]}, ensure_ascii=True, flavor="news")
@example(document=JSON_FEED | {"items": [{"id": "\x00", "url": "\x00", "title": "t"}]}, ensure_ascii=True,
         flavor="news")  # fmt: skip
def test_feed_parser_on_json_feeds(
    sources: dict[str, Source], document: dict[str, Any], ensure_ascii: bool, flavor: str
) -> None:
    feed_parse(sources, flavor, fz.json_bytes(document, ensure_ascii), "application/feed+json")


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deeply_nested_json_is_a_parse_failure(sources: dict[str, Source], depth: int) -> None:
    """json.loads raises RecursionError, not ValueError, for nesting deeper than its stack."""
    body = b"[" * depth + b"]" * depth
    kinds: list[tuple[SourceKind, str]] = [
        (FeedKind(), "feed-news"),
        (WeiboKind(), "weibo"),
        (HotlineKind(), "hotline-json"),
    ]
    for kind, source_id in kinds:
        with pytest.raises(ParseFailure) as failure:
            kind.parse(ParseContext(sources[source_id], NOW), body, {"Content-Type": "application/json"})
        assert failure.value.kind == "parse_error"


# ---- Weibo -----------------------------------------------------------------------------------------


def weibo_parse(sources: dict[str, Source], body: bytes) -> None:
    try:
        result = WeiboKind().parse(
            ParseContext(sources["weibo"], NOW), body, {"Content-Type": "application/json"}
        )
    except ParseFailure as failure:
        assert failure.kind in ("parse_error", "blocked")
        assert_text(failure.detail, "detail")
        return
    check_result(result)
    for post in result.posts:
        completed = WeiboKind().complete(post, body)
        assert_storable(completed)


def getindex(**mblog: Any) -> dict[str, Any]:
    return {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"id": "1"} | mblog}]}}


@fuzz(500)
@given(document=fz.getindex_documents, ensure_ascii=st.booleans())
@example(document=getindex(reposts_count=float("nan"), comments_count=float("inf")), ensure_ascii=True)
@example(document=getindex(created_at="99999999999天前"), ensure_ascii=True)
@example(document=getindex(text="\x00\ud800", user={"verified_type": 10**20, "followers_count": 10**30}),
         ensure_ascii=True)  # fmt: skip
@example(document=getindex(id="\x00", mid="2"), ensure_ascii=True)
def test_weibo_parser_on_generated_getindex_answers(
    sources: dict[str, Source], document: Any, ensure_ascii: bool
) -> None:
    weibo_parse(sources, fz.json_bytes(document, ensure_ascii))


@fuzz(300, deadline_s=5)
@given(data=st.data())
def test_weibo_parser_on_mutated_real_answers(
    weibo_corpus: list[bytes], sources: dict[str, Source], data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(weibo_corpus), label="corpus file")
    weibo_parse(sources, data.draw(fz.mutated(original, fz.JSON_TOKENS), label="mutated"))


def test_deep_card_groups_do_not_overflow_the_stack(sources: dict[str, Source]) -> None:
    card: dict[str, Any] = {"card_type": 9, "mblog": {"id": "1", "text": "底层", "created_at": "刚刚"}}
    for _ in range(450):  # as deep as the JSON reader allows
        card = {"card_group": [card]}
    weibo_parse(sources, json.dumps({"ok": 1, "data": {"cards": [card]}}).encode())


# ---- 12345 -----------------------------------------------------------------------------------------


@fuzz(500)
@given(record=fz.order_records, salted=st.booleans())
@example(record={"order_no": "A1", "received_at": 10**400, "content": "x"}, salted=True)
@example(record={"order_no": "A1", "received_at": "²", "content": "x"}, salted=True)
@example(record={"order_no": "A1", "received_at": "2026-06-01", "content": "a\x00b\ud800"}, salted=True)
@example(
    record={"order_no": "A1", "received_at": "2026-06-01", "content": "x", "备注": float("nan")}, salted=True
)
def test_order_from_record_raises_only_order_invalid(record: dict[Any, Any], salted: bool) -> None:
    try:
        order = order_from_record(record, now=NOW, region_codes=REGION_CODES, salt=SALT if salted else None)
    except OrderInvalid as exc:
        assert exc.problems and all(isinstance(f, str) and m for f, m in exc.problems)
        return
    except PiiSaltMissing:
        assert not salted
        return
    assert_order_storable(order)


def hotline_parse(sources: dict[str, Source], source_id: str, body: bytes, salt: str | None) -> None:
    ctx = ParseContext(sources[source_id], NOW, region_codes=REGION_CODES, pii_salt=salt)
    try:
        result = HotlineKind().parse(ctx, body, {})
    except ParseFailure as failure:
        assert failure.kind == "parse_error"
        assert_text(failure.detail, "detail")
        return
    except PiiSaltMissing:
        assert salt is None
        return
    check_result(result)
    assert len(result.posts) == len(result.orders)


@fuzz(300)
@given(
    records=st.lists(st.one_of(fz.order_records, fz.json_trees), max_size=6),
    wrapper=st.sampled_from(("bare", "orders", "data.records", "result.list", "other")),
    ensure_ascii=st.booleans(),
    salted=st.booleans(),
)
def test_hotline_json_export(
    sources: dict[str, Source], records: list[Any], wrapper: str, ensure_ascii: bool, salted: bool
) -> None:
    document: Any = records
    for key in reversed(wrapper.split(".")) if wrapper != "bare" else ():
        document = {key: document}
    hotline_parse(sources, "hotline-json", fz.json_bytes(document, ensure_ascii), SALT if salted else None)


@fuzz(300)
@given(
    body=st.one_of(fz.csv_exports(), st.binary(max_size=512)),
    source_id=st.sampled_from(("hotline-csv", "hotline-gbk")),
)
@example(body=b"order_no,received_at,content\nA1,2026-06-01,a\x00b\n", source_id="hotline-csv")
@example(body=b"order_no,content\n" + b"x" * 200_000 + b"\n", source_id="hotline-csv")
def test_hotline_csv_export(sources: dict[str, Source], body: bytes, source_id: str) -> None:
    hotline_parse(sources, source_id, body, SALT)


# ---- dates and counts ------------------------------------------------------------------------------

anything = st.one_of(
    fz.json_trees,
    st.sampled_from(fz.WEIRD_DATES),
    st.from_regex(r"\A\d{1,30}(\.\d+)?\Z"),
    st.integers(),
    st.floats(),
    st.datetimes(),
    st.binary(max_size=8),
)
realistic_now = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@fuzz(500)
@given(value=anything)
@example(value=10**400)
@example(value="9" * 5000)
@example(value="²")
def test_parse_datetime_returns_an_aware_datetime_or_none(value: object) -> None:
    parsed = parse_datetime(value)
    assert parsed is None or (isinstance(parsed, datetime) and parsed.tzinfo is not None)


@fuzz(500)
@given(
    raw=st.one_of(
        st.sampled_from(fz.WEIRD_DATES),
        st.from_regex(r"\A\d{1,30}\s*(秒|分钟|小时|天)前\Z"),
        st.from_regex(r"\A(今天|昨天|前天)\s*\d{1,2}:\d{2}\Z"),
        st.from_regex(r"\A\d{1,2}-\d{1,2}( \d{1,2}:\d{2})?\Z"),
        st.from_regex(r"\A\d{4}[-/.]\d{1,2}[-/.]\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?\Z"),
        fz.hostile_text,
    ),
    now=realistic_now,
)
@example(raw="99999999999天前", now=NOW)
@example(raw="99999999999999999999999秒前", now=NOW)
def test_resolve_weibo_date_returns_an_aware_datetime_or_none(raw: str, now: datetime) -> None:
    resolved = resolve_weibo_date(raw, now)
    assert resolved is None or (isinstance(resolved, datetime) and resolved.tzinfo is not None)


@fuzz(500)
@given(
    value=st.one_of(
        anything, fz.weibo_counts, st.from_regex(r"\A\d{1,400}(\.\d{1,5})?\s*(万|w|亿|千|k)?\+?\Z")
    )
)
@example(value=float("inf"))
@example(value=float("nan"))
@example(value="9" * 400 + "万")
@example(value=10**30)
def test_parse_count_is_a_storable_non_negative_int(value: object) -> None:
    count = parse_count(value)
    assert_count(count, "count")
    assert count >= 0


# ---- config ----------------------------------------------------------------------------------------


@st.composite
def tree_mutation(draw: st.DrawFn, tree: Any) -> Any:
    """`tree` with one node replaced, removed or given an unknown sibling."""
    if isinstance(tree, dict) and tree and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(tree, key=str)))
        out = dict(tree)
        op = draw(st.sampled_from(("descend", "descend", "replace", "delete", "add")))
        if op == "descend":
            out[key] = draw(tree_mutation(tree[key]))
        elif op == "replace":
            out[key] = draw(config_values)
        elif op == "delete":
            del out[key]
        else:
            out[draw(fz.small_text)] = draw(config_values)
        return out
    if isinstance(tree, list) and tree and draw(st.booleans()):
        i = draw(st.integers(0, len(tree) - 1))
        out_list = list(tree)
        op = draw(st.sampled_from(("descend", "descend", "replace", "duplicate")))
        if op == "descend":
            out_list[i] = draw(tree_mutation(tree[i]))
        elif op == "replace":
            out_list[i] = draw(config_values)
        else:
            out_list.append(tree[i])
        return out_list
    return draw(config_values)


config_values = st.one_of(
    fz.json_trees,
    st.sampled_from(("5m", "0s", "-5m", "9" * 400 + "s", "1e400", "5MB", "9" * 400 + "GB", "0", "abc", "Ⅱ")),
    st.sampled_from((float("inf"), float("nan"), -1, 0, 10**30, 1e300, True)),
    st.dates(),
    st.datetimes(),
)


@st.composite
def yaml_documents(draw: st.DrawFn, tree: Any) -> bytes:
    """A YAML document for `tree` after a tree mutation and possibly a textual splice of a YAML token."""
    text = yaml.safe_dump(draw(tree_mutation(tree)), allow_unicode=True)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(fz.YAML_TOKENS)) + text[at:]
    return text.encode("utf-8", errors="surrogatepass")


def assert_config_error(err: ConfigError, root: Path) -> None:
    assert err.problems, "a ConfigError lists its problems"
    for problem in err.problems:
        assert problem.file.startswith(str(root)), problem
        assert problem.message, problem
    assert str(err)


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="yuqing-fuzz-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


SOURCES_TREE = yaml.safe_load((ROOT / "sources.yaml").read_text("utf-8"))


@fuzz(300)
@given(document=yaml_documents(SOURCES_TREE))
@example(document=b"defaults:\n  interval: 2001-13-45\n")
@example(document=b"defaults:\n  interval: " + b"9" * 400 + b"s\n")
def test_load_sources_raises_only_config_error(scratch: Path, document: bytes) -> None:
    path = scratch / "sources.yaml"
    path.write_bytes(document)
    try:
        loaded = load_sources(path, known_regions={"yunjiang", "binjiang"})
    except ConfigError as err:
        assert_config_error(err, path)
        return
    assert all(isinstance(s, Source) for s in loaded)


@pytest.mark.parametrize(
    "text",
    [
        "defaults:\n  interval: 2001-13-45\n",
        "defaults:\n  interval: !!timestamp x\n",
        "defaults:\n  max_body: !!int x\n",
        "defaults:\n  interval: " + "9" * 400 + "s\n",
        "defaults:\n  interval: .inf\n",
        "defaults:\n  interval: 1.0e+300\n",
        "defaults:\n  max_body: " + "9" * 400 + "GB\n",
        "sources: " + "[" * 600 + "\n",  # PyYAML recurses per level
    ],
)
def test_config_values_that_broke_the_loader(scratch: Path, text: str) -> None:
    path = scratch / "sources.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert_config_error(caught.value, path)


# A small but complete city (duty desk, press office, a department and its district branch) keeps each
# example fast; the loader's cross-checks all still apply.
RESPONDER_FILES = [
    ROOT / "responders" / name
    for name in ("_regions.yaml", "_policy.yaml", "zhengfuban.yaml", "xuanchuan.yaml", "zhujian.yaml",
                 "binjiang-zhujian.yaml")
]  # fmt: skip
RESPONDER_TREES = {p.name: yaml.safe_load(p.read_text("utf-8")) for p in RESPONDER_FILES}


@fuzz(150, deadline_s=5)
@given(data=st.data())
def test_load_responders_raises_only_config_error(scratch: Path, data: st.DataObject) -> None:
    root = scratch / f"responders-{len(list(scratch.iterdir()))}"
    root.mkdir()
    for path in RESPONDER_FILES:
        shutil.copyfile(path, root / path.name)
    for _ in range(data.draw(st.integers(1, 3), label="files changed")):
        name = data.draw(st.sampled_from(sorted(RESPONDER_TREES)), label="file")
        action = data.draw(
            st.sampled_from(("mutate", "mutate", "mutate", "delete", "garbage")), label="action"
        )
        if action == "mutate":
            (root / name).write_bytes(data.draw(yaml_documents(RESPONDER_TREES[name]), label="yaml"))
        elif action == "delete":
            (root / name).unlink(missing_ok=True)
        else:
            (root / name).write_bytes(data.draw(st.binary(max_size=64), label="garbage"))
    try:
        loaded = load_responders(root)
    except ConfigError as err:
        assert_config_error(err, root)
    else:
        assert loaded.departments and loaded.policy
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---- the checks above are what PostgreSQL enforces ------------------------------------------------

HOSTILE_GETINDEX = {
    "ok": 1,
    "data": {
        "cards": [
            {
                "card_type": 9,
                "mblog": {
                    "id": "4383183661430868",
                    "created_at": "99999999999天前",
                    "text": "含\x00空字符\ud800与孤立代理",
                    "bid": "b\x00id",
                    "source": float("nan"),
                    "mblogtype": [float("inf"), "\x00"],
                    "reposts_count": 10**30,
                    "comments_count": float("nan"),
                    "attitudes_count": "9" * 400,
                    "user": {"id": "7\x00", "screen_name": "\ud800", "followers_count": float("inf"),
                             "verified_type": 10**20, "verified_reason": "\x00"},
                },
            }
        ]
    },
}  # fmt: skip


async def test_hostile_posts_and_orders_reach_the_database(
    sources: dict[str, Source], pool: asyncpg.Pool
) -> None:
    body = fz.json_bytes(HOSTILE_GETINDEX, ensure_ascii=True)
    posts = WeiboKind().parse(ParseContext(sources["weibo"], NOW), body, {}).posts
    record = {"order_no": "YJ-1", "received_at": "2026-06-01 08:00", "content": "a\x00b\ud800",
              "title": "t\x00", "备注": float("nan"), "other\x00": "x\x00"}  # fmt: skip
    order = order_from_record(record, now=NOW, region_codes=REGION_CODES, salt=SALT)
    async with pool.acquire() as conn, conn.transaction():
        for source in sources.values():
            await ensure_source(conn, source, now=NOW)
        assert len(await store_posts(conn, posts, now=NOW)) == 1
        stored = await store_orders(conn, [order], source_id="hotline-json", intake="poll", now=NOW)
    assert [s.created for s in stored] == [True]
    row = await pool.fetchrow("SELECT * FROM posts WHERE source_kind = 'weibo'")
    assert (
        row["text"] == "含空字符\ufffd与孤立代理" and row["reposts"] == row["author_followers"] == MAX_COUNT
    )
    assert row["comments"] == 0 and row["author_verified_type"] is None
