"""Chinese and Arabic numerals, including the vague forms news reports use."""

from __future__ import annotations

import pytest

from monitor.text.numerals import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("１０", 10),  # full-width digits
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("三十五", 35),
        ("一百零三", 103),
        ("两百", 200),
        ("壹佰贰拾", 120),
        ("一万零五", 10005),
        ("两千三百万", 23_000_000),
        ("1.2万", 12_000),
        ("4.5亿", 450_000_000),
        ("二零二零", 2020),
        ("零", 0),
        ("十余", 10),
        ("十几", 10),
        ("30多", 30),
        ("数十", 20),
        ("上百", 100),
        ("近百", 99),
        ("近30", 29),
    ],
)
def test_parse_number(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "人", "三人"])
def test_not_a_number(text: str) -> None:
    assert parse_number(text) is None
