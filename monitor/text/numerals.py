"""Chinese and Arabic numerals (三十五, 两百, 1.2万, 十余, 数十) to integers, as lower bounds when vague."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "俩": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

_CN_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)
# One number as written in news: Arabic (with optional decimals and Chinese big units) or Chinese numerals,
# optionally hedged: 数十, 上百, 近百, 十余, 30多, 十几.
NUMBER = (
    rf"(?:[数上近逾超过]{{0,2}})"
    rf"(?:\d+(?:\.\d+)?[{''.join(_SMALL_UNITS)}{''.join(_BIG_UNITS)}]*|[{_CN_CHARS}]+)"
    rf"(?:[余多几来])?"
)
_NUMBER_RE = re.compile(r"^(?P<pre>[数上近逾超过]{0,2})(?P<core>.+?)(?P<post>[余多几来]?)$")
_ARABIC_RE = re.compile(r"^(\d+(?:\.\d+)?)([十拾百佰千仟万萬亿億]*)$")


def _chinese_to_int(s: str) -> int | None:
    """Positional Chinese numeral: 三十五 → 35, 一万零五 → 10005, 十二 → 12, 二零二零 → 2020."""
    if not s:
        return None
    if all(ch in _DIGITS for ch in s):
        if len(s) == 1:
            return _DIGITS[s]
        return int("".join(str(_DIGITS[ch]) for ch in s))  # read digit by digit: 二零二零
    total = 0
    section = 0
    digit: int | None = None
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit = None
        elif ch in _BIG_UNITS:
            unit = _BIG_UNITS[ch]
            section += digit or 0
            total = (total + section) * unit if unit > 10_000 else total + section * unit
            section = 0
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def _core_value(core: str) -> int | None:
    m = _ARABIC_RE.match(core)
    if m:
        value = float(m.group(1))
        for ch in m.group(2):
            value *= _SMALL_UNITS.get(ch) or _BIG_UNITS[ch]
        return int(value)
    return _chinese_to_int(core)


def parse_number(text: str) -> int | None:
    """The value of one number expression, or None; vague forms give a conservative lower bound.

    数十 → 20 (数 = "several" of the unit), 近百 → 99 (just under), 十余/30多/十几 → the written base.
    """
    text = unicodedata.normalize("NFKC", text.strip())
    m = _NUMBER_RE.match(text)
    if not m:
        return None
    pre, core = m.group("pre"), m.group("core")
    if pre.startswith("数") and core in _SMALL_UNITS:
        return 2 * _SMALL_UNITS[core]
    if pre.startswith("数") and core in _BIG_UNITS:
        return 2 * _BIG_UNITS[core]
    if core in _SMALL_UNITS or core in _BIG_UNITS:
        core = "一" + core  # 上百 / 近千: the bare unit means one of it
    value = _core_value(core)
    if value is None:
        return None
    if pre.startswith("近") and value > 0:
        return value - 1
    return value
