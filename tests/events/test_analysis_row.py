"""Turning whatever the analyser returns into a post_analysis row (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.pipeline.analyse import analysis_row, encoded, encoded_row, failed_row, plain


@dataclass(frozen=True)
class Sev:
    deaths: int = 3
    hazards: tuple[str, ...] = ("爆炸",)
    casualty_grade: int | None = 3
    explain: dict[str, object] = field(default_factory=lambda: {"why": "x"})

    def to_json(self) -> dict[str, object]:
        return {"deaths": self.deaths, "hazards": list(self.hazards), "casualty_grade": self.casualty_grade}


@dataclass(frozen=True)
class Result:
    negative: float = 0.8
    polarity: str = "negative"
    topic: str = "安全生产/应急"
    topic_score: float = 0.7
    department: str | None = "yingji"
    region: str | None = "qingshi"
    severity: Sev = field(default_factory=Sev)
    explain: dict[str, object] = field(default_factory=lambda: {"terms": ("爆炸", "死亡"), "n": {1, 2}})


def test_row_uses_to_json_and_keeps_the_explanation() -> None:
    row = analysis_row(7, Result())
    assert row[:8] == (7, 0.8, "negative", "安全生产/应急", 0.7, "yingji", "qingshi", 3)
    assert row[8] == {"deaths": 3, "hazards": ["爆炸"], "casualty_grade": 3}  # explain stays out of severity
    assert row[9]["terms"] == ["爆炸", "死亡"] and sorted(row[9]["n"]) == [1, 2]


def test_unknown_polarity_and_missing_fields_become_safe_defaults() -> None:
    @dataclass
    class Odd:
        negative: float = 0.1
        polarity: str = "mixed"

    row = analysis_row(1, Odd())
    assert row[2] == "neutral" and row[3] == "其他" and row[8] == {} and row[9] == {}
    assert failed_row(2, "boom" * 200)[9]["error"] == ("boom" * 200)[:500]
    assert plain(object()).startswith("<object")


@dataclass(frozen=True)
class Nested:
    words: frozenset[str] = frozenset({"停水"})
    inner: Sev = field(default_factory=Sev)


class Unknown:
    def __str__(self) -> str:
        return "unknown-object"


ODD_EXPLAINS: list[object] = [
    {"terms": [("爆炸", 1.25), ("死亡", 0.5)], "n": {3}, "nested": Nested(), "x": Unknown()},
    {1: "int key", 2.5: "float key", "deep": {"list": [Sev(), {"t": ("a", "b")}]}},
    {("tuple", "key"): "JSON has no tuple keys: settled by plain"},
    {"nan": float("nan"), "none": None, "flag": True},
    Nested(),
    {},
]


def test_encoded_rows_are_the_text_of_the_plain_rows() -> None:
    """The fast encoding (C encoder, conversions on the way) writes what plain() then json.dumps wrote."""
    for explain in ODD_EXPLAINS:
        result = Result(explain=explain)  # type: ignore[arg-type]
        assert encoded_row(5, result) == encoded(analysis_row(5, result))
    bare = Result(severity=None)  # type: ignore[arg-type]
    assert encoded_row(6, bare) == encoded(analysis_row(6, bare))
    as_dict = Result(severity={"casualty_grade": 2, "hazards": ("火灾",)})  # type: ignore[arg-type]
    assert encoded_row(7, as_dict) == encoded(analysis_row(7, as_dict))
    assert encoded_row(7, as_dict)[7] == 2


def test_the_keywords_a_post_says_are_kept_once_each_and_bounded() -> None:
    many = tuple(f"w{i}" for i in range(30))

    @dataclass
    class Said:
        keywords: tuple[object, ...] = ("流浪", "救助", "流浪", 3, "", "a\x1fb", *many)

    row = analysis_row(1, Said())
    assert row[10][:3] == ("流浪", "救助", "w0") and len(row[10]) == 20  # strings, each once, at most 20
    assert encoded(row)[10] == "\x1f".join(row[10])  # one text, which PostgreSQL splits back into text[]
    assert analysis_row(2, Result())[10] == () and failed_row(3, "x")[10] == ()
