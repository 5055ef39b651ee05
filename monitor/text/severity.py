"""Severity signals: casualties graded by a criteria table, hazard words, who is speaking, 12345 urgency."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.text.numerals import NUMBER, parse_number

DATA_DIR = Path(__file__).resolve().parent / "data"
GRADE_NUMBERS = {"I": 1, "II": 2, "III": 3, "IV": 4}
GRADE_LABELS = {1: "Ⅰ特别重大", 2: "Ⅱ重大", 3: "Ⅲ较大", 4: "Ⅳ一般"}


@dataclass(frozen=True)
class CasualtyRule:
    """One row of a grading table: `grade` (1 = Ⅰ … 4 = Ⅳ) is reached at or above any of its counts."""

    grade: int
    deaths_min: int | None = None
    injured_min: int | None = None
    missing_min: int | None = None

    def reached(self, deaths: int, injured: int, missing: int) -> bool:
        return any(
            limit is not None and count >= limit
            for limit, count in (
                (self.deaths_min, deaths),
                (self.injured_min, injured),
                (self.missing_min, missing),
            )
        )


# 国务院令第493号《生产安全事故报告和调查处理条例》第三条. Its injured are 重伤; a text that does not say how
# badly people were hurt has every injured person counted (the strictest reading, Casualties.serious).
DEFAULT_CRITERIA: tuple[CasualtyRule, ...] = (
    CasualtyRule(1, deaths_min=30, injured_min=100),
    CasualtyRule(2, deaths_min=10, injured_min=50),
    CasualtyRule(3, deaths_min=3, injured_min=10),
    CasualtyRule(4, deaths_min=1, injured_min=1),
)


@dataclass(frozen=True)
class Casualties:
    """Counts found in a text (the largest figure per kind) and the phrases they came from."""

    deaths: int = 0
    injured: int = 0
    missing: int = 0
    none_stated: bool = False
    evidence: tuple[str, ...] = ()
    # 重伤, which 国务院令493号 grades on, when the text says how badly people were hurt ("57人受伤，其中5人
    # 重伤": 5; "108人轻伤": 0); None when it does not, and then every injured person counts (strictly read)
    serious: int | None = None

    @property
    def graded_injured(self) -> int:
        """The injured count the criteria table reads."""
        return self.injured if self.serious is None else self.serious


@dataclass(frozen=True)
class SeveritySignals:
    """Everything in one text that speaks to how serious it is; `explain` says why for each field."""

    deaths: int = 0
    injured: int = 0
    missing: int = 0
    casualty_grade: int | None = None
    hazards: tuple[str, ...] = ()
    official_account: bool = False
    media_account: bool = False
    urgent: bool = False
    explain: dict[str, object] = field(default_factory=dict, compare=False)
    serious: int | None = None  # as Casualties.serious

    def to_json(self) -> dict[str, object]:
        return {
            "deaths": self.deaths,
            "injured": self.injured,
            "serious": self.injured if self.serious is None else self.serious,
            "missing": self.missing,
            "casualty_grade": self.casualty_grade,
            "hazards": list(self.hazards),
            "official_account": self.official_account,
            "media_account": self.media_account,
            "urgent": self.urgent,
        }


_N = rf"(?<![第每])(?P<n>{NUMBER})"  # "你第一个被淹死" is an order, "每一个" everyone: not counts
_WHO = r"(?:名|位|人|个(?!小时|多小时|月|多月|星期|礼拜|钟头))"  # "两个小时直至昏死" counts hours
_SENTENCE_STOPS = r"。；;!！？?\d#【】\[\]/"
_STOPS = rf"，,{_SENTENCE_STOPS}"
# "3名工人当场死亡": a few words between the count (or the person) and the verb, within one clause: not
# across a hashtag (#…#), a headline (【…】), a repost (//@) or an emoticon ([悲伤])
_GAP = rf"[^{_STOPS}]{{0,8}}?"
# A verb right after a denial says that no one died or was hurt: "5名乘客均未受伤", "孩子没有受伤",
# "47万人无一伤亡", "老不死". Words in between do not deny: 不慎落水溺亡, 不同程度受伤, 抢救无效死亡.
_AFFIRMED = r"(?<!未)(?<!没)(?<!没有)(?<!无)(?<!无一)(?<!无人)(?<!不)(?<!未被)(?<!没被)(?<!没有被)"
# To be admitted to hospital is an injury, unless the counted people are patients ("1499名重症患者全部入院").
# An injury or poisoning before it ("3人受伤送医") is already read by _INJURY.
_CARE_GAP = rf"(?:(?![患病伤毒]|确诊|疑似|感染|重症|发热)[^{_STOPS}]){{0,8}}?"
# A bulletin's "均已无生命体征" and "身故" report deaths as surely as 死亡; "机上132人无一生还" too
_DEATH_WORDS = (
    "死亡", "遇难", "身亡", "丧生", "罹难", "殒命", "去世", "离世", "遇害", "牺牲", "殉职", "抢救无效",
    "溺亡", "被烧死", "身故", "无生命体征", "无生命迹象", "失去生命体征", "无一生还", "死"
)  # fmt: skip
# 死亡率 is a rate; 去世界杯 goes to the World Cup; 牺牲休息时间 gives up time, no life; 牺牲品 is a victim of
# something
_NOT_AFTER = {
    "死亡": "(?!率)",
    "去世": "(?!界)",
    "离世": "(?!界)",
    "牺牲": "(?!品|了?(?:休息|时间|自己|个人|小我|青春|假期|周末|健康|睡眠|利益|质量|品质|精神|性能|画质))",
}
# How badly: 493号 grades 重伤 only. The longer words come first, so that "3人伤势较重" is read whole.
_SERIOUS_WORDS = ("重伤", "伤势较重", "伤势严重", "伤势危重", "伤情较重", "伤情严重", "伤情危重")
_LIGHT_WORDS = ("轻伤", "轻微伤")
_INJURY_WORDS = (
    *_SERIOUS_WORDS, *_LIGHT_WORDS, "受伤", "伤势", "烧伤", "烫伤", "砸伤", "摔伤", "被刺伤", "中毒"
)  # fmt: skip
_MISSING_WORDS = ("失踪", "失联", "下落不明", "被困")
# 死 alone: not 死囚, 死刑, 死忠, 死宅, 死去活来, 死定了, nor the intensifiers and curses 气死, 笑死, 烦死,
# 吓死, 哭死, 去死, 该死
_DIE = r"(?<![气烦吓笑累昏该去要哭])死(?![囚刑忠宅活僵磕党定]|去活)"
# the words for a death, not 死 alone
_DEATH_SAID = "|".join(w + _NOT_AFTER.get(w, "") for w in _DEATH_WORDS if w != "死")
_DEATH = f"(?:{_DEATH_SAID}|{_DIE})"
_INJURY = "(?:" + "|".join(_INJURY_WORDS) + r"|(?<![悲哀忧感受])伤(?![心感害痛悲脑透]))"
_MISSING = "(?:" + "|".join(_MISSING_WORDS) + ")"
_ADMITTED_WORDS = ("送医", "入院")
# "已致11人死亡35人受伤": a count right after one verb, followed by another verb that closes the clause,
# belongs to that second verb ("死亡3人受伤10人", where the second verb takes its own count, is fine).
_NOT_NEXT = r"(?!(?:受伤|重伤|轻伤|伤|死亡|遇难|身亡|死|失踪|失联|被困)(?:[，。；;,!！？?、\s】)]|$))"
_RISEN = r"(?:已|升至|增至|上升至|达到?|为|共){0,2}"  # "死亡人数已升至22人"
# One person named without a count ("致孕妇身亡", "女店员不幸遇难", "民警壮烈牺牲") is one casualty. Only
# nouns for people, and only verbs that say a person died or was hurt: "学生死记硬背", "牺牲休息时间" are not.
_PERSON = (
    r"(?:男子|女子|男孩|女孩|男童|女童|孕妇|老人|婴儿|儿童|孩子|小孩|少年|少女|小伙|学生|考生|工人|民警|辅警|"
    r"消防员|司机|骑手|外卖员|店员|游客|驴友|村民|居民|市民|乘客|行人|患者|妇女|老太|大爷|公民)"
)
_NOT_DENIED = r"(?<!无)(?<!没有)(?<!未)(?<!并无)"
_ONE_DEATH_WORDS = tuple(
    "死亡 遇难 身亡 丧生 罹难 殒命 去世 离世 溺亡 遇害 牺牲 殉职 被烧死 抢救无效 身故 无生命体征 无生命迹象 "
    "失去生命体征".split()
)
_ONE_INJURY_WORDS = tuple("受伤 重伤 轻伤 被刺伤 烧伤 砸伤 摔伤 被撞伤".split())
_ONE_DEATH = "(?:" + "|".join(w + _NOT_AFTER.get(w, "") for w in _ONE_DEATH_WORDS) + ")"
_ONE_INJURY = "(?:" + "|".join(_ONE_INJURY_WORDS) + ")"
_KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    ("deaths", rf"{_N}{_WHO}{_GAP}{_AFFIRMED}{_DEATH}"),
    ("deaths", rf"(?:死亡|遇难|罹难|身亡)(?:人数)?{_RISEN}{_N}{_WHO}{_NOT_NEXT}"),
    # "3死5伤"; not 九死一生, 九死而无悔, 九死不悔, 一死了之, 死一死 (睡前死一死)
    ("deaths", rf"(?<!死){_N}{_DIE}(?!一生|而|不|了之)"),
    ("injured", rf"{_N}{_WHO}{_GAP}{_AFFIRMED}{_INJURY}"),
    ("injured", rf"(?:受伤|伤者|重伤|轻伤|伤员)(?:人数)?{_RISEN}{_N}{_WHO}{_NOT_NEXT}"),
    ("injured", rf"(?<=死){_N}[重轻]?伤"),  # "1死1重伤"
    ("injured", rf"(?:伤亡|死伤)(?:人数)?{_RISEN}{_N}{_WHO}"),  # "伤亡人数达数百人"
    ("missing", rf"{_N}{_WHO}{_GAP}{_AFFIRMED}{_MISSING}"),
    ("missing", rf"(?:失踪|失联)(?:人数)?{_RISEN}{_N}{_WHO}{_NOT_NEXT}"),
    # "失联的6名人员", "被困的3名矿工", "遇难的2名游客": the verb before its count, 的 between; people only
    # (名, 位, 人), not "死亡的100个理由"
    ("missing", rf"(?:失踪|失联|被困)的{_N}(?:名|位|人)"),
    ("deaths", rf"(?:死亡|遇难|罹难|身亡)的{_N}(?:名|位|人)"),
)
_ONE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("deaths", rf"{_NOT_DENIED}{_PERSON}{_GAP}{_AFFIRMED}{_ONE_DEATH}"),
    ("injured", rf"{_NOT_DENIED}{_PERSON}{_GAP}{_AFFIRMED}{_ONE_INJURY}"),
)
# "3名工人被埋，经全力搜救，均已死亡", "4名被困矿工经全力搜救后全部遇难", "2名驴友今天被找到，经确认已无
# 生命体征": 均, 全部 or 经确认 right before a bulletin's word for a death takes a count of people back across
# commas, within one sentence and with no other number between ("绑定60个号…全部死了" counts accounts)
_ALL_DIED = f"(?:均|全部|全都|皆|悉数|经确认|经核实)(?:已经?|均|不幸|当场){{0,2}}(?:{_DEATH_SAID})"
_ALL_DIED_PATTERNS = (("deaths", rf"{_N}(?:名|位|人)[^{_SENTENCE_STOPS}]{{0,30}}?{_ALL_DIED}"),)
_ADMITTED_PATTERNS = (("injured", rf"{_N}{_WHO}{_CARE_GAP}{_AFFIRMED}(?:{'|'.join(_ADMITTED_WORDS)})"),)
# The counted patterns need one of their verbs, and most texts have none. These characters cover most verbs;
# the verbs without any of them are searched as words.
_HINT_CHARS = "死伤亡难踪联困"
_COUNTED_HINT = "|".join(
    [f"[{_HINT_CHARS}]"]
    + [w for w in _DEATH_WORDS + _INJURY_WORDS + _MISSING_WORDS if not set(w) & set(_HINT_CHARS)]
)
_NONE_STATED = re.compile(r"(?:无|没有|未造成|暂无|未发现|未有)(?:人员|人)?(?:伤亡|死亡|受伤)")

_Patterns = tuple[tuple[str, re.Pattern[str]], ...]


@functools.cache
def _pattern_groups() -> tuple[tuple[re.Pattern[str], _Patterns], ...]:
    """Each group of patterns behind a cheap test for its verbs, run first (plain words scan five times
    faster than the patterns): most texts need none of them."""

    def group(hint: str, patterns: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], _Patterns]:
        return re.compile(hint), tuple((kind, re.compile(pattern)) for kind, pattern in patterns)

    return (
        group(_COUNTED_HINT, _KIND_PATTERNS),
        group(_ALL_DIED, _ALL_DIED_PATTERNS),
        group("|".join(_ADMITTED_WORDS), _ADMITTED_PATTERNS),
        group("|".join(_ONE_DEATH_WORDS + _ONE_INJURY_WORDS), _ONE_PATTERNS),
    )


_SERIOUS = re.compile("|".join(_SERIOUS_WORDS))
_LIGHT = re.compile("|".join(_LIGHT_WORDS))


def extract_casualties(text: str) -> Casualties:
    """Deaths, injured and missing counts stated in the text; the largest figure of each kind wins. The
    injured figures are also told apart by how badly (`Casualties.serious`)."""
    counts = {"deaths": 0, "injured": 0, "missing": 0}
    hurt = {"serious": 0, "light": 0, "unsaid": 0}
    evidence: list[str] = []
    patterns = [p for hint, group in _pattern_groups() if hint.search(text) for p in group]
    if not patterns:
        return Casualties()
    for kind, pattern in patterns:
        for m in pattern.finditer(text):
            value = parse_number(m.group("n")) if "n" in pattern.groupindex else 1
            if value is None or value <= 0 or value > 1_000_000:
                continue
            if value > counts[kind]:
                counts[kind] = value
            if kind == "injured":
                said = m.group(0)
                how = "serious" if _SERIOUS.search(said) else "light" if _LIGHT.search(said) else "unsaid"
                hurt[how] = max(hurt[how], value)
            evidence.append(f"{kind}:{m.group(0)}")
    return Casualties(
        counts["deaths"],
        counts["injured"],
        counts["missing"],
        none_stated=bool(_NONE_STATED.search(text)),
        evidence=tuple(dict.fromkeys(evidence)),
        serious=_serious(**hurt),
    )


def _serious(serious: int, light: int, unsaid: int) -> int | None:
    """The 重伤 count when the text says how badly people were hurt: its 重伤 figure; none when its only, or
    largest, figure is of 轻伤 ("108人轻伤"); None when it does not say ("13人受伤，其中11人轻伤" leaves two
    unsaid), and then every injured person counts."""
    if serious:
        return serious
    if light and light >= unsaid:
        return 0
    return None


def grade_casualties(c: Casualties, criteria: Sequence[CasualtyRule] = DEFAULT_CRITERIA) -> int | None:
    """The most severe grade whose threshold the counts reach (1 = Ⅰ特别重大 … 4 = Ⅳ一般), or None."""
    for rule in sorted(criteria, key=lambda r: r.grade):
        if rule.reached(c.deaths, c.graded_injured, c.missing):
            return rule.grade
    return None


def criteria_from_policy(rows: Iterable[Any]) -> tuple[CasualtyRule, ...]:
    """Convert `_policy.yaml` casualty_criteria rows (grade "I".."IV" and *_min counts) to rules."""
    return tuple(
        CasualtyRule(GRADE_NUMBERS[r.grade], r.deaths_min, r.injured_min, getattr(r, "missing_min", None))
        for r in rows
    )


@dataclass(frozen=True)
class Hazard:
    """A hazard category with its signal words and look-alike phrases that do not count."""

    name: str
    words: tuple[str, ...]
    not_words: tuple[str, ...] = ()


@functools.cache
def load_hazards(path: Path = DATA_DIR / "hazards.yaml") -> tuple[Hazard, ...]:
    """The shipped hazard table (`data/hazards.yaml`)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Hazard(h["name"], tuple(h["words"]), tuple(h.get("not", ()))) for h in raw["hazards"])


@functools.cache
def _hazard_pattern(hazards: tuple[Hazard, ...]) -> re.Pattern[str]:
    words = sorted({w for h in hazards for w in h.words}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


def find_hazards(text: str, hazards: Sequence[Hazard]) -> dict[str, list[str]]:
    """Hazard name → the words that fired, skipping words that sit inside a listed look-alike phrase."""
    found: dict[str, list[str]] = {}
    if not _hazard_pattern(tuple(hazards)).search(text):
        return found
    for hazard in hazards:
        hits: list[str] = []
        for word in hazard.words:
            start = text.find(word)
            while start >= 0:
                if not any(_covers(text, start, word, bad) for bad in hazard.not_words):
                    hits.append(word)
                    break
                start = text.find(word, start + 1)
        if hits:
            found[hazard.name] = hits
    return found


def _covers(text: str, start: int, word: str, phrase: str) -> bool:
    """Whether an occurrence of `phrase` in the text contains this occurrence of `word`."""
    offset = phrase.find(word)
    while offset >= 0:
        if text.startswith(phrase, start - offset):
            return True
        offset = phrase.find(word, offset + 1)
    return False


@dataclass(frozen=True)
class AccountRules:
    """How to recognise official (政务) and media accounts by Weibo verified type or by name."""

    official_types: frozenset[int]
    official_names: tuple[str, ...]
    media_types: frozenset[int]
    media_names: tuple[str, ...]


@functools.cache
def load_account_rules(path: Path = DATA_DIR / "accounts.yaml") -> AccountRules:
    """The shipped account table (`data/accounts.yaml`)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return AccountRules(
        frozenset(raw["official"]["verified_types"]),
        tuple(str(n) for n in raw["official"]["name_patterns"]),
        frozenset(raw["media"]["verified_types"]),
        tuple(str(n) for n in raw["media"]["name_patterns"]),
    )


_NAME = r"@([\w\-·]{2,30})"
# An account is involved when the text quotes it, not when it calls on it. Quoting: a repost chain
# ("//@平安云江:【警情通报】"), a source ("据@长江商报 报道", "来自@…", "@长江日报 讯：") or the quoted
# speaker's colon ("@广州公安：请扩散"). Calling on: "@平安华亭 如此恶行只是免职？", "@人民日报 请关注", a row
# of @s, a reply ("回复@泉州公安:"): how people ask for attention, which says nothing about whether the police
# or the paper spoke.
_QUOTED = re.compile(
    rf"(?://|据|来自|来源[:：]?|转自|转发自|via\s?){_NAME}|(?<!回复){_NAME}\s?(?=[:：]|讯|通报[:：])"
)


def account_involvement(
    text: str, author_name: str | None, verified_type: int | None, rules: AccountRules
) -> tuple[bool, bool, dict[str, str]]:
    """(official, media, reasons): by the author's verified type or name, or by an account the text quotes."""
    reasons: dict[str, str] = {}
    if verified_type is not None and verified_type in rules.official_types:
        reasons["official"] = f"author verified_type={verified_type}"
    if verified_type is not None and verified_type in rules.media_types:
        reasons["media"] = f"author verified_type={verified_type}"
    names = [("author", author_name)] if author_name else []
    names += [("quoted", a or b) for a, b in _QUOTED.findall(text)]
    for role, name in names:
        assert name is not None
        if "official" not in reasons:
            hit = next((p for p in rules.official_names if p in name), None)
            if hit:
                reasons["official"] = f"{role} {name!r} contains {hit!r}"
        if "media" not in reasons:
            hit = next((p for p in rules.media_names if p in name), None)
            if hit:
                reasons["media"] = f"{role} {name!r} contains {hit!r}"
    return "official" in reasons, "media" in reasons, reasons


def hotline_urgent(
    text: str, urgency: str | None, urgent_levels: Sequence[str], risk_words: Sequence[str]
) -> tuple[bool, str | None]:
    """A 12345 order is urgent when its urgency is one that opens incidents, or it has a risk word."""
    if urgency is None:
        return False, None
    if urgency in urgent_levels:
        return True, f"12345 urgency {urgency!r}"
    word = next((w for w in risk_words if w in text), None)
    if word is not None:
        return True, f"12345 risk word {word!r} (风险性苗头性诉求)"
    return False, None
