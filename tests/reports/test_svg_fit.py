"""Chart labels fitted to their room (pure): CJK characters count one em, others about 0.6 em."""

from __future__ import annotations

import pytest

from monitor.reports.svg import fit, text_width


def test_text_width() -> None:
    assert text_width("应急管理局", 12) == 60
    assert text_width("abc", 10) == pytest.approx(18)
    assert text_width("", 12) == 0


@pytest.mark.parametrize(
    ("text", "room", "expected"),
    [
        ("水务局", 36, "水务局"),  # fits exactly
        ("应急管理局", 36, "应急…"),  # two characters and the ellipsis
        ("Ⅱ级 3人死亡", 200, "Ⅱ级 3人死亡"),
        ("abcdefghij", 30, "ab…"),  # 2 × 7.2 px + 12 px
        ("应急管理局", 5, "…"),  # no room at all: still says something was cut
    ],
)
def test_fit(text: str, room: float, expected: str) -> None:
    out = fit(text, room, 12)
    assert out == expected
    if out != text:
        assert text_width(out, 12) <= max(room, 12)
