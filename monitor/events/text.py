"""Text features for grouping: normalisation, character-bigram terms and stable 64-bit term hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

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
    t = _URL.sub(" ", t)
    t = _REPOST_MARK.sub(" ", t)
    t = _MENTION.sub(" ", t)
    t = _EMOTICON.sub(" ", t)
    t = _WEIBO_WRAP.sub(" ", t)
    t = _TAIL_NOISE.sub("", t.strip())
    return "" if _DEFAULT_REPOST.match(t) else t


def terms(text: str) -> Counter[str]:
    """Character bigrams of CJK runs (a lone character counts as itself) and whole Latin/digit tokens."""
    out: Counter[str] = Counter()
    for run in _RUNS.findall(text):
        if run.isascii():
            if len(run) >= 2:
                out[run] += 1
        elif len(run) == 1:
            out[run] += 1
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


class TermHasher:
    """Stable (process-independent) 64-bit hashes of terms, cached because most terms repeat."""

    def __init__(self, max_cache: int = 500_000) -> None:
        self._cache: dict[str, int] = {}
        self._max = max_cache

    def __call__(self, term: str) -> int:
        h = self._cache.get(term)
        if h is None:
            if len(self._cache) >= self._max:
                self._cache.clear()
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
            self._cache[term] = h
        return h


def text_key(normalised: str) -> int:
    """A 63-bit fingerprint of the normalised text (identical-text matching for very short posts)."""
    compact = "".join(_RUNS.findall(normalised))
    return int.from_bytes(hashlib.blake2b(compact.encode(), digest_size=8).digest(), "little") >> 1
