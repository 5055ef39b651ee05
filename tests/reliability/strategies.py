"""Strategies for hostile parser input: mutated real bytes, XML-ish feeds, getIndex JSON, 12345 rows.

Every strategy is bounded in size so one example stays fast; the tokens are the shapes that broke parsers
before (deep nesting, NaN/1e400, lone surrogates, NUL, bogus encodings, impossible dates).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import strategies as st

from monitor.sources.orders import ALIASES

# Text that may hold anything a JSON string can: NUL, controls and lone surrogates (excluded by default).
ANY_CHAR = st.characters(exclude_categories=())
hostile_text = st.text(ANY_CHAR, max_size=40)
small_text = st.text(max_size=20)

# Bytes that, spliced into a document, tend to reach the odd branches of a parser.
XML_TOKENS = (
    b"<item>", b"</item>", b"<entry>", b"</entry>", b"<channel>", b"</channel>", b"<![CDATA[", b"]]>",
    b"&amp;", b"&#0;", b"&#xD800;", b"&#x110000;", b"&bogus;", b"<!DOCTYPE rss [<!ENTITY a \"aaaa\">]>",
    b'<?xml version="1.0" encoding="gb2312"?>', b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="x-no-such-codec"?>', b"\xef\xbb\xbf", b"\xff\xfe", b"\x00",
    b"\xe9\x9b", b"\xed\xa0\x80", b"<pubDate>", b"</pubDate>", b"<pubDate>Sat, 99 Foo 99999 99:99:99 +9999",
    b"<pubDate>\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96</pubDate>", b"<updated>2026-02-30T25:61:00Z",
    b' xml:base="http://[::1"', b' type="xhtml"', b' src="x"', b"<title type=\"html\">&lt;b&gt;", b"<",
    b">", b"\"", b"'", b"<rss version=\"2.0\">", b"<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [', b'"ret": 200013', b"<html><body>",
    b"[" * 64, b"{" * 64,
)  # fmt: skip
JSON_TOKENS = (
    b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"123456789012345678901234567890",
    b"-9223372036854775809", b'"\\u0000"', b'"\\ud800"', b'"\\udfff\\ud800"', b"null", b"true", b"[]",
    b"{}", b'""', b'"\xe5\x88\x9a\xe5\x88\x9a"', b'"99999999999\xe5\xa4\xa9\xe5\x89\x8d"', b",", b":",
    b'"ok": -100', b'"ok": 1', b'"card_type": 9', b'"card_group": [', b"[" * 3000, b"{\"a\":" * 1500,
)  # fmt: skip
YAML_TOKENS = (
    "2001-13-45", "2026-02-30 10:00:00", "!!timestamp x", "!!int x", "!!float x", "!!binary '!!'",
    "!!python/object:os.system x", "&a", "*a", "*nope", "<<: 5", "? [a, b]\n: c", "[" * 600, "{" * 600,
    ".inf", "-.inf", ".nan", "1e400", "9" * 400, "9" * 400 + "d", "9" * 400 + "GB", "1e308d", "0x", "~",
    "\t", "\x00", "\ufeff", "%YAML 1.1\n---\n", "---\n", "...", "- ", ": ", "'", '"', "|", ">", "#",
)  # fmt: skip
WEIRD_DATES = (
    "刚刚", "刚才", "5分钟前", "99999999999天前", "99999999999999999999999999天前", "٣分钟前", "²分钟前",
    "昨天 25:99", "前天 00:00", "今天 ٠٩:٣٠", "02-29", "13-45", "02-30 12:00", "00-00", "0000-01-01",
    "9999-12-31 23:59:59", "10000-01-01", "2026-06-01T08:30:00+08:00", "2026-06-01T08:30:00+24:00",
    "Sat Jun 15 11:44:46 +0800 2019", "Sat Jun 15 11:44:46 +9999 2019", "Sat Feb 30 11:44:46 +0800 2019",
    "Mon, 01 Jun 2026 07:30:00 CST", "Mon, 01 Jun 99999 07:30:00 +0800", "Mon, 99 Jun 2026", "²",
    "9" * 30, "9" * 5000, "1" * 13, "-1", "0", " ", "", "2026/06/01 08:30", "2026.06.01", "T", "Z",
    "２０２６-０６-０１", "1e400", "nan", "\x00", "\ud800",
)  # fmt: skip
CONTENT_TYPES = (
    "", "application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml; charset=gb2312",
    "text/xml; charset=x-no-such-codec", "text/html; charset=utf-8", "application/json",
    "application/feed+json", "application/xml; charset=\"utf-16\"", "text/plain; charset=big5",
)  # fmt: skip

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | hostile_text
)
json_trees = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(small_text, inner, max_size=4),
    max_leaves=12,
)


def either(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value of the right shape, sometimes any JSON value (wrong type, null, nested junk)."""
    return st.one_of(shaped, shaped, json_trees)


@st.composite
def mutated(draw: st.DrawFn, data: bytes, tokens: tuple[bytes, ...]) -> bytes:
    """`data` after a few random edits: cut, drop a span, repeat a span, flip bytes, splice tokens."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("cut", "drop", "repeat", "flip", "token", "token", "random")))
        at = draw(st.integers(0, len(out)))
        if op == "cut":
            del out[at:]
        elif op == "drop":
            del out[at : at + draw(st.integers(1, 256))]
        elif op == "repeat":
            span = bytes(out[at : at + draw(st.integers(1, 64))])
            out[at:at] = span * draw(st.integers(1, 20))
        elif op == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif op == "token":
            out[at:at] = draw(st.sampled_from(tokens))
        elif op == "random":
            out[at:at] = draw(st.binary(max_size=16))
    return bytes(out)


# ---- feeds -------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


feed_text = st.one_of(small_text.map(_escape), hostile_text, st.sampled_from(("<b>x</b>", "&nbsp;", "")))
feed_dates = st.one_of(st.sampled_from(WEIRD_DATES), small_text).map(_escape)


@st.composite
def xml_feeds(draw: st.DrawFn) -> tuple[bytes, str]:
    """(body, Content-Type) for an RSS / Atom / RDF-ish document with hostile fields and encodings."""
    flavour = draw(st.sampled_from(("rss", "atom", "rdf", "junk")))
    item_tag, date_tag = {"rss": ("item", "pubDate"), "atom": ("entry", "updated")}.get(
        flavour, ("item", "dc:date")
    )
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        fields = [
            f"<title>{draw(feed_text)}</title>",
            f"<link>{draw(feed_text)}</link>",
            f"<guid>{draw(feed_text)}</guid>",
            f"<id>{draw(feed_text)}</id>",
            f"<description>{draw(feed_text)}</description>",
            f"<{date_tag}>{draw(feed_dates)}</{date_tag}>",
            f"<category>{draw(feed_text)}</category>",
        ]
        chosen = draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
        parts.append(f"<{item_tag}>{''.join(chosen)}</{item_tag}>")
    items = "".join(parts)
    title = f"<title>{draw(feed_text)}</title>"
    if flavour == "rss":
        version = draw(st.sampled_from(("2.0", "0.91", "", "9")))
        doc = f'<rss version="{version}"><channel>{title}{items}</channel></rss>'
    elif flavour == "atom":
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom">{title}{items}</feed>'
    elif flavour == "rdf":
        doc = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
            f' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>{title}</channel>{items}</rdf:RDF>'
        )
    else:
        doc = f"<{draw(st.sampled_from(('html', 'x', 'rss')))}>{items}"
    encoding = draw(st.sampled_from(("utf-8", "gb18030", "big5", "utf-16", "latin-1")))
    declared = draw(st.sampled_from((encoding, "utf-8", "gb2312", "x-no-such-codec", None)))
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    body = (prolog + doc).encode(
        encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace"
    )
    return body, draw(st.sampled_from(CONTENT_TYPES))


json_feeds = st.fixed_dictionaries(
    {"version": either(st.sampled_from(("https://jsonfeed.org/version/1.1", "jsonfeed.org/version/1")))},
    optional={
        "title": either(hostile_text),
        "items": either(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        key: either(hostile_text)
                        for key in ("id", "url", "title", "content_html", "summary", "date_published")
                    }
                    | {"authors": json_trees, "author": json_trees, "tags": json_trees},
                ),
                max_size=4,
            )
        ),
    },
)


# ---- Weibo getIndex ----------------------------------------------------------------------------------

weibo_dates = st.one_of(st.sampled_from(WEIRD_DATES), small_text)
weibo_counts = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(("100万+", "1.2万", "3亿", "1,234", "转发", "9" * 400, "9" * 400 + "万", "١٢", "²", "")),
)
weibo_ids = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=20),
    st.sampled_from(("\x00", "\ud800")),
)
weibo_users = st.fixed_dictionaries(
    {},
    optional={
        "id": either(weibo_ids),
        "screen_name": either(hostile_text),
        "followers_count": either(weibo_counts),
        "verified_type": either(st.integers(min_value=-(10**30), max_value=10**30)),
        "verified_reason": either(hostile_text),
    },
)


def _mblog(retweeted: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "id": either(weibo_ids),
            "idstr": either(weibo_ids),
            "mid": either(weibo_ids),
            "bid": either(hostile_text),
            "text": either(
                st.one_of(hostile_text, st.sampled_from(("<a>全文</a>", "<img alt='[笑]'>", "转发")))
            ),
            "created_at": either(weibo_dates),
            "user": either(weibo_users),
            "reposts_count": either(weibo_counts),
            "comments_count": either(weibo_counts),
            "attitudes_count": either(weibo_counts),
            "isLongText": json_trees,
            "region_name": either(st.one_of(hostile_text, st.just("发布于 云江"))),
            "source": json_trees,
            "mblogtype": json_trees,
            "retweeted_status": retweeted,
        },
    )


mblogs = _mblog(either(_mblog(st.none())))
cards: st.SearchStrategy[dict[str, Any]] = st.deferred(
    lambda: st.fixed_dictionaries(
        {},
        optional={
            "card_type": either(st.sampled_from((9, 11, "9", 9.0))),
            "mblog": either(mblogs),
            "card_group": either(st.lists(cards, max_size=3)),
        },
    )
)
getindex_documents = either(
    st.fixed_dictionaries(
        {"ok": either(st.sampled_from((1, 0, -100, "1", True)))},
        optional={
            "msg": either(st.sampled_from(("这里还没有内容", "请求过于频繁", ""))),
            "data": either(st.fixed_dictionaries({"cards": either(st.lists(cards, max_size=5))})),
        },
    )
)


def json_bytes(document: Any, ensure_ascii: bool) -> bytes:
    """JSON as a server might send it; NaN/Infinity tokens are left in (Python's reader accepts them)."""
    return json.dumps(document, ensure_ascii=ensure_ascii).encode("utf-8", errors="surrogatepass")


# ---- 12345 orders ------------------------------------------------------------------------------------

alias_keys = st.sampled_from([alias for names in ALIASES.values() for alias in names])
order_values = st.one_of(
    hostile_text,
    st.sampled_from(WEIRD_DATES),
    st.sampled_from(("YJ-1", "339922101", "339922101,339922", "13812345678", "王五", "紧急")),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    json_trees,
)
order_records = st.dictionaries(
    st.one_of(alias_keys, alias_keys, st.sampled_from(("身份证号", "email", "备注")), small_text),
    order_values,
    max_size=12,
)


@st.composite
def csv_exports(draw: st.DrawFn) -> bytes:
    """A CSV export with alias headers, ragged rows and hostile cells, in a random encoding."""
    header = draw(st.lists(alias_keys, min_size=1, max_size=8))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 5))):
        cells = draw(
            st.lists(st.one_of(hostile_text, st.sampled_from(WEIRD_DATES)), max_size=len(header) + 2)
        )
        writer.writerow(cells)
    text = out.getvalue()
    encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "gb18030", "utf-16")))
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
