"""Text features for grouping: normalisation, character-bigram terms and stable 64-bit term hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from operator import add

import numpy as np

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w\-·]{1,30}")
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]")
_WEIBO_WRAP = re.compile(r"\{%|%\}")
_REPOST_MARK = re.compile(r"//\s*@[^:：\s]{1,30}\s*[:：]")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_TAIL_NOISE = re.compile(r"(收起全文d?|展开全文c?|网页链接|的微博视频|\?)\s*$")
# Weibo fills an empty repost comment with 转发微博: it says nothing about which happening it is about
_DEFAULT_REPOST = re.compile(r"^(转发微博|轉發微博|转发|轉發|repost)[\W_]*$")

MASK64 = (1 << 64) - 1


def normalise(text: str) -> str:
    """Width-folded, lower-cased text without links, mentions, emoticons or repost markers."""
    t = unicodedata.normalize("NFKC", text).lower()
    # each pattern needs a marker character: a text without it is not scanned (most posts have few)
    if "http" in t or "www." in t:
        t = _URL.sub(" ", t)
    if "//" in t:
        t = _REPOST_MARK.sub(" ", t)
    if "@" in t:
        t = _MENTION.sub(" ", t)
    if "[" in t:
        t = _EMOTICON.sub(" ", t)
    if "%" in t:
        t = _WEIBO_WRAP.sub(" ", t)
    t = _TAIL_NOISE.sub("", t.strip())
    return "" if _DEFAULT_REPOST.match(t) else t


def terms(text: str) -> Counter[str]:
    """Character bigrams of CJK runs (a lone character counts as itself) and whole Latin/digit tokens."""
    found: list[str] = []
    for run in _RUNS.findall(text):
        if run.isascii():
            if len(run) >= 2:
                found.append(run)
        elif len(run) == 1:
            found.append(run)
        else:
            found += map(add, run, run[1:])
    return Counter(found)  # keys in first-occurrence order: vectors and fingerprints depend on it


def term_hash(term: str) -> int:
    """Stable (process-independent) 64-bit hash of a term: workers share fingerprints through PostgreSQL."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")


class TermTable:
    """Each distinct term's hash and hashed-space id, computed once: a post costs one lookup per term."""

    def __init__(self, id_bits: int, max_terms: int = 500_000) -> None:
        self._mask = (1 << id_bits) - 1
        self._max = max_terms
        self._rows: dict[str, int] = {}
        self.hashes = np.zeros(4096, dtype=np.uint64)
        self.ids = np.zeros(4096, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, terms: Collection[str]) -> np.ndarray:
        """Row numbers of these terms (repeats allowed) in `hashes` and `ids`, adding the ones not seen."""
        try:
            return np.fromiter(map(self._rows.__getitem__, terms), dtype=np.intp, count=len(terms))
        except KeyError:
            pass
        missing = list(dict.fromkeys(t for t in terms if t not in self._rows))
        if len(self._rows) + len(missing) > self._max:
            self._rows.clear()  # memory stays bounded; the rows are rebuilt as terms come back
            missing = list(dict.fromkeys(terms))
        self._add(missing)
        return np.fromiter(map(self._rows.__getitem__, terms), dtype=np.intp, count=len(terms))

    def _add(self, terms: list[str]) -> None:
        start = len(self._rows)
        end = start + len(terms)
        while end > len(self.hashes):
            self.hashes = np.concatenate([self.hashes, np.zeros_like(self.hashes)])
            self.ids = np.concatenate([self.ids, np.zeros_like(self.ids)])
        digests = b"".join(hashlib.blake2b(t.encode(), digest_size=8).digest() for t in terms)
        hashes = np.frombuffer(digests, dtype="<u8")  # as term_hash: the digest read little-endian
        self.hashes[start:end] = hashes
        self.ids[start:end] = hashes & np.uint64(self._mask)
        self._rows.update(zip(terms, range(start, end), strict=True))


def text_key(normalised: str) -> int:
    """A 63-bit fingerprint of the normalised text (identical-text matching for very short posts)."""
    compact = "".join(_RUNS.findall(normalised))
    return int.from_bytes(hashlib.blake2b(compact.encode(), digest_size=8).digest(), "little") >> 1
