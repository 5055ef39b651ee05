"""Region (属地) matching against a small region tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.text.regions import RegionEntry, RegionMatcher, entries_from_config

ROOT = Path(__file__).resolve().parents[2]
TREE = [
    RegionEntry("city", "云江市", None, 0, ("云江市", "云江"), ("339900",)),
    RegionEntry("binjiang", "滨江区", "city", 1, ("滨江区", "滨江"), ("339902",)),
    RegionEntry("jiangbei", "江北区", "city", 1, ("江北区", "江北"), ("339903",)),
    RegionEntry("jiangbin", "江滨街道", "binjiang", 2, ("江滨街道", "江滨"), ("339902001",)),
]


@pytest.fixture
def matcher() -> RegionMatcher:
    return RegionMatcher(TREE)


@pytest.mark.parametrize(
    ("text", "hint", "region"),
    [
        ("滨江区某小区停水", None, "binjiang"),
        ("云江市滨江区江滨街道发生火灾", None, "jiangbin"),  # the deepest of one chain
        ("江滨街道的路灯坏了", None, "jiangbin"),
        ("滨江和江北都出现内涝", None, "city"),  # several localities → the common higher level
        ("今天天气很好", None, None),
        ("今天天气很好", "339903", "jiangbei"),  # a 12345 region code
        ("今天天气很好", "发布于 云江 滨江区", "binjiang"),  # Weibo region_name
        ("滨江区某小区停水", "339902001", "jiangbin"),  # the hint narrows the same line
        ("滨江区某小区停水", "339903", "binjiang"),  # the text wins over a conflicting hint
    ],
)
def test_match(matcher: RegionMatcher, text: str, hint: str | None, region: str | None) -> None:
    m = matcher.match(text, hint)
    assert m.region == region
    assert (m.reason is None) == (region is None)


def test_several_localities_are_explained(matcher: RegionMatcher) -> None:
    m = matcher.match("滨江和江北都出现内涝")
    assert m.reason is not None and "several" in m.reason
    assert set(m.mentions) == {"滨江", "江北"}


def test_ancestors(matcher: RegionMatcher) -> None:
    assert matcher.ancestors("jiangbin") == ["jiangbin", "binjiang", "city"]


def test_names_without_level_suffix_are_added() -> None:
    class Cfg:
        def __init__(self, name: str, parent: str | None) -> None:
            self.name, self.parent, self.aliases, self.codes = name, parent, (), ()

    entries = entries_from_config({"c": Cfg("云江市", None), "q": Cfg("青石县", "c")})
    matcher = RegionMatcher(entries)
    assert matcher.match("青石发生地震").region == "q"
    assert matcher.match("云江下雨了").region == "c"


def test_the_shipped_region_file_loads() -> None:
    from monitor.config.responders import load_responders

    responders = load_responders(ROOT / "responders")
    matcher = RegionMatcher(entries_from_config(responders.regions))
    city = responders.city
    assert matcher.match(f"{city.name}今天下雨").region == city.id


@pytest.fixture(scope="module")
def with_places() -> RegionMatcher:
    from monitor.text.places import read_places

    return RegionMatcher(TREE, read_places())


MINE = ("山东宁阳发生透水事故", ("山东", "宁阳", "发生", "透水", "事故"))


@pytest.mark.parametrize(
    ("text", "tokens", "hint", "region", "outside"),
    [
        (*MINE, None, None, ("山东",)),
        # Weibo's 发布于 … is where the author was, not where the story is
        (*MINE, "发布于 云江 滨江区", None, ("山东",)),
        # a region code is the platform's own (a 12345 order): it still applies
        (*MINE, "339903", "jiangbei", ()),
        ("今天天气很好", ("今天", "天气", "很", "好"), "发布于 云江 滨江区", "binjiang", ()),
        # 江北区 is also 重庆's: beside 重庆 it is that one; alone, or beside 云江, it is the city's
        ("重庆江北区一小区火灾", ("重庆", "江北区", "一", "小区", "火灾"), None, None, ("重庆",)),
        ("江北区一小区火灾", ("江北区", "一", "小区", "火灾"), None, "jiangbei", ()),
        ("云江江北区一小区火灾", ("云江", "江北区", "一", "小区", "火灾"), None, "jiangbei", ()),
        # a local name that is the city's alone decides, whatever else the text names
        ("江滨街道游客在山东遇险", ("江滨街道", "游客", "在", "山东", "遇险"), None, "jiangbin", ()),
    ],
)
def test_a_place_elsewhere_is_not_the_city(
    with_places: RegionMatcher,
    text: str,
    tokens: tuple[str, ...],
    hint: str | None,
    region: str | None,
    outside: tuple[str, ...],
) -> None:
    m = with_places.match(text, hint, tokens)
    assert (m.region, m.outside) == (region, outside)
    if outside:
        assert m.reason is not None and "outside 云江市" in m.reason
        assert ("does not apply" in m.reason) == (hint is not None)
