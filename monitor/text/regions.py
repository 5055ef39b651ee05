"""Region (属地) matching: place names in the text, or the post's region hint, to a region id and reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.text.places import Division, OutsidePlaces

# Level names people drop when writing a place: 滨江区 → 滨江. Only names that stay ≥2 characters are added.
_SUFFIXES = (
    "特别行政区",
    "自治州",
    "自治县",
    "街道办事处",
    "街道办",
    "街道",
    "新区",
    "市",
    "区",
    "县",
    "镇",
    "乡",
)


@dataclass(frozen=True)
class RegionEntry:
    """One region as matching needs it: id, name, parent, depth in the tree, and the names to look for."""

    id: str
    name: str
    parent: str | None
    depth: int
    names: tuple[str, ...]
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionMatch:
    """The chosen region (or None) and a human-readable reason; `outside`: places the text names elsewhere in
    China when it names none of the city's (the source's region must not make such a text local)."""

    region: str | None
    reason: str | None
    mentions: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()


def entries_from_config(regions: Mapping[str, object]) -> list[RegionEntry]:
    """Region entries from `Responders.regions` (objects with id, name, parent, aliases, codes)."""
    parents = {rid: getattr(r, "parent", None) for rid, r in regions.items()}
    out: list[RegionEntry] = []
    for rid, r in regions.items():
        name: str = getattr(r, "name")  # noqa: B009 - duck-typed config object
        aliases: tuple[str, ...] = tuple(getattr(r, "aliases", ()))
        codes: tuple[str, ...] = tuple(getattr(r, "codes", ()))
        out.append(RegionEntry(rid, name, parents[rid], _depth(rid, parents), _names(name, aliases), codes))
    return out


def _depth(rid: str, parents: Mapping[str, str | None]) -> int:
    depth, seen, current = 0, {rid}, parents.get(rid)
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth


def _names(name: str, aliases: Iterable[str]) -> tuple[str, ...]:
    names = [name, *aliases]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            names.append(name[: -len(suffix)])
            break
    return tuple(dict.fromkeys(n.lower() for n in names if n))


class RegionMatcher:
    """Finds region names in text and resolves several mentions to one region (属地管理)."""

    def __init__(self, entries: Iterable[RegionEntry], places: Iterable[Division] = ()) -> None:
        self._entries = {e.id: e for e in entries}
        by_name: dict[str, str] = {}
        for e in sorted(self._entries.values(), key=lambda e: e.depth):
            for n in e.names:
                by_name.setdefault(n, e.id)  # a name shared by two levels means the higher one
        self._by_name = by_name
        self._by_code = {c: e.id for e in self._entries.values() for c in e.codes}
        names = sorted(by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names))) if names else None
        root = min(self._entries.values(), key=lambda e: e.depth, default=None)
        self._city = root.name if root else "the city"
        self._outside = OutsidePlaces(places, by_name, root.names if root else ())

    def names(self) -> list[str]:
        """Every name and alias, for the tokeniser's dictionary."""
        return list(self._by_name)

    def ancestors(self, region_id: str) -> list[str]:
        """The region and its ancestors, nearest first."""
        chain: list[str] = []
        current: str | None = region_id
        while current is not None and current in self._entries and current not in chain:
            chain.append(current)
            current = self._entries[current].parent
        return chain

    def find(self, text: str) -> list[tuple[str, str]]:
        """(name as written, region id) for every mention, in order, longest name first at each position."""
        if self._pattern is None:
            return []
        return [(m.group(0), self._by_name[m.group(0)]) for m in self._pattern.finditer(text.lower())]

    def resolve_hint(self, hint: str) -> str | None:
        """A region code (339902) or a place string such as Weibo's region_name (发布于 云江 滨江区)."""
        hint = hint.strip()
        if hint in self._by_code:
            return self._by_code[hint]
        ids = [rid for _, rid in self.find(hint)]
        return self._deepest_consistent(ids) if ids else None

    def match(self, text: str, hint: str | None = None, tokens: Sequence[str] = ()) -> RegionMatch:
        """Text mentions decide; the hint fills in when the text names no place, or narrows the same line.

        With the text's `tokens`, a text naming no local place but a place elsewhere (山东宁阳) gets no
        region, and a place-name hint (Weibo's 发布于 … is where the author was) does not apply to it; a
        region code (a 12345 order's, set by the platform) still does. So does a text whose local names
        are all also places elsewhere, or zone words, beside a place elsewhere (重庆江北区, 河南…高新区)."""
        mentions = self.find(text)
        ids = list(dict.fromkeys(rid for _, rid in mentions))
        written = tuple(dict.fromkeys(name for name, _ in mentions))
        hinted = self.resolve_hint(hint) if hint else None
        if not ids:
            outside = self._outside.find(tokens) if tokens else ()
            by_code = (hint or "").strip() in self._by_code
            if hinted is not None and (by_code or not outside):
                return RegionMatch(hinted, f"region hint {hint!r} → {self._entries[hinted].name}")
            if not outside:
                return RegionMatch(None, None)
            reason = f"text names {'、'.join(outside)}, outside {self._city}"
            if hinted is not None:
                reason += f"; the hint {hint!r} does not apply"
            return RegionMatch(None, reason, (), outside)
        if tokens and self._outside.shared.issuperset(written):
            # 重庆江北区: every local name is also a place elsewhere (or a zone word), and the text names
            # that elsewhere: the story is there
            outside = self._outside.find(tokens)
            if outside:
                reason = (
                    f"text names {'、'.join(outside)}, outside {self._city}; "
                    f"{'、'.join(written)} there is not {self._city}'s"
                )
                return RegionMatch(None, reason, written, outside)
        chosen = self._deepest_consistent(ids)
        if chosen is not None:
            reason = f"text names {'、'.join(written)} → {self._entries[chosen].name}"
            if hinted is not None and chosen in self.ancestors(hinted) and hinted != chosen:
                return RegionMatch(
                    hinted, reason + f"; hint {hint!r} narrows to {self._entries[hinted].name}", written
                )
            return RegionMatch(chosen, reason, written)
        common = self._common_ancestor(ids)
        reason = (
            f"text names several localities ({'、'.join(written)}); "
            f"the common higher level {self._entries[common].name if common else '—'} leads"
        )
        return RegionMatch(common, reason, written)

    def _deepest_consistent(self, ids: list[str]) -> str | None:
        """The deepest mentioned region if every other mention is one of its ancestors, else None."""
        deepest = max(ids, key=lambda rid: self._entries[rid].depth)
        chain = set(self.ancestors(deepest))
        return deepest if all(rid in chain for rid in ids) else None

    def _common_ancestor(self, ids: list[str]) -> str | None:
        chains = [self.ancestors(rid) for rid in ids]
        shared = set(chains[0]).intersection(*map(set, chains[1:]))
        return next((rid for rid in chains[0] if rid in shared), None)
