"""Places outside the city: China's divisions (data/places_cn.tsv) minus the city's own tree and its parents.

A local news site or a Weibo search configured with the city's region also carries national stories
(山东宁阳发生透水事故). Without this, the source's region makes such a story local and it opens an incident
in the city's console. A text that names no local place but names a province, prefecture or county
elsewhere is about that place: the source's region does not apply to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PLACES_FILE = Path(__file__).resolve().parent / "data" / "places_cn.tsv"
# Token pairs where a place name is not a place: 北京时间 is the time zone.
NOT_A_PLACE_BEFORE = {"北京": frozenset({"时间"})}
_LEVEL_TOKENS = frozenset("省市区县州旗盟")
# Zone words every city has: a local alias like these says little next to a place named elsewhere.
ZONE_WORDS = frozenset({"高新区", "开发区", "经开区", "经济开发区", "新区", "城区", "市区", "老城区", "县城"})


@dataclass(frozen=True)
class Division:
    """One province, prefecture or county: its 6-digit code, full name and short names."""

    code: str
    name: str
    short: tuple[str, ...]

    @property
    def level(self) -> str:
        """province / prefecture / county, from the code."""
        if self.code.endswith("0000"):
            return "province"
        return "prefecture" if self.code.endswith("00") else "county"

    @property
    def prefix(self) -> str:
        """The code prefix every division inside this one shares (33 for 浙江, 3305 for 湖州)."""
        return {"province": self.code[:2], "prefecture": self.code[:4]}.get(self.level, self.code)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.short)

    def parents(self) -> tuple[str, ...]:
        """The codes of its province and prefecture."""
        province, prefecture = self.code[:2] + "0000", self.code[:4] + "00"
        return tuple(dict.fromkeys(c for c in (province, prefecture) if c != self.code))


class PlacesError(ValueError):
    """The places file is malformed (names the file and line)."""


def read_places(path: Path = PLACES_FILE) -> list[Division]:
    out: list[Division] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not (len(parts[0]) == 6 and parts[0].isdigit()) or not parts[1]:
            raise PlacesError(f"{path}:{n}: expected `code<TAB>name<TAB>short,names`, got {line!r}")
        out.append(Division(parts[0], parts[1], tuple(s for s in parts[2].split(",") if s)))
    return out


class OutsidePlaces:
    """Finds, among a text's tokens, the names of divisions elsewhere: not one of the city's own place names,
    not the city's division, one inside it, or one it lies in (湖州市 keeps 湖州, 安吉县 and 浙江: a post
    about 浙江 may be about the city too)."""

    def __init__(
        self, divisions: Iterable[Division], local_names: Iterable[str], city_names: Iterable[str] = ()
    ) -> None:
        divisions = list(divisions)
        local = {n.lower() for n in local_names}
        city = set(city_names)
        parents: set[str] = set()
        inside: list[str] = []  # the city's divisions' code prefixes: everything under them is the city's
        for d in divisions:
            if city.intersection(d.names):
                parents.update(d.parents())
                inside.append(d.prefix)
        elsewhere = frozenset(
            name
            for d in divisions
            if d.code not in parents and not d.code.startswith(tuple(inside))
            for name in d.names
        )
        self._names = elsewhere - local
        # The city's names that are also places elsewhere (江北区 is 重庆's and 宁波's too) or zone words.
        self.shared = frozenset(local & (elsewhere | ZONE_WORDS))

    def __len__(self) -> int:
        return len(self._names)

    def find(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """Outside names as written, in order, once each; a name cut before its level (宁阳 县) is joined."""
        hits = self._names.intersection(tokens)
        if _LEVEL_TOKENS.isdisjoint(tokens) and hits.isdisjoint(NOT_A_PLACE_BEFORE):
            return tuple(t for t in dict.fromkeys(tokens) if t in hits)  # most texts: set operations in C
        found: list[str] = []
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            name = tok + nxt if nxt in _LEVEL_TOKENS and tok + nxt in self._names else tok
            if name in self._names and nxt not in NOT_A_PLACE_BEFORE.get(name, ()) and name not in found:
                found.append(name)
        return tuple(found)
