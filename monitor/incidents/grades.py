"""Grade numbers, names and colours: 1 = Ⅰ 特别重大 红 … 4 = Ⅳ 一般 蓝."""

from __future__ import annotations

from monitor.config.policy import GradeName

GRADE_NAMES: dict[int, GradeName] = {1: "I", 2: "II", 3: "III", 4: "IV"}
GRADE_NUMBERS: dict[str, int] = {v: k for k, v in GRADE_NAMES.items()}
GRADE_LABELS: dict[int, str] = {1: "Ⅰ级 特别重大", 2: "Ⅱ级 重大", 3: "Ⅲ级 较大", 4: "Ⅳ级 一般"}
GRADE_COLOURS: dict[int, str] = {1: "红", 2: "橙", 3: "黄", 4: "蓝"}
GRADE_CSS: dict[int, str] = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def is_major(grade: int) -> bool:
    """Ⅰ/Ⅱ: the 5 h statement and 24 h press-conference clocks apply, and the press office is involved."""
    return grade <= 2
