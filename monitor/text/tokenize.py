"""jieba tokenisation (HMM off) with the government/舆情 user dictionary, loaded lazily once, cached.

The cutting is jieba-rs (the `rjieba` binding): the same dictionary, DAG and maximum-probability route as
Python jieba's `cut(HMM=False)`, about seven times faster and with a third of the memory. The two agree on
99.9 % of real posts; the rest differ where two routes score within rounding of each other (tests check it).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"
CACHE_SIZE = 8192
# Texts longer than this are tokenised only up to here: features and keywords need no more.
MAX_TOKENIZE_CHARS = 4000
_REPLACEMENT = "\ufffd"


def read_word_list(path: Path) -> list[str]:
    """One entry per line; `#` starts a comment; the first whitespace-separated field is the word."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return words


def read_user_dict(path: Path) -> list[tuple[str, int | None]]:
    """jieba's user-dictionary format: `word [freq] [tag]` per line, `#` starts a comment."""
    entries: list[tuple[str, int | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            entries.append((fields[0], int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None))
    return entries


class Tokenizer:
    """A private jieba-rs instance (HMM off: faster and stabler) plus extra words such as region names."""

    def __init__(self, extra_words: Iterable[str] = (), *, user_dict: Path | None = USER_DICT) -> None:
        self.extra_words = tuple(w for w in extra_words if w.strip())
        self._user_dict = user_dict
        self._jieba: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    @property
    def words(self) -> tuple[tuple[str, int | None], ...]:
        """Every word added to jieba's dictionary, in order: the user dictionary's, then the extra words."""
        user = read_user_dict(self._user_dict) if self._user_dict is not None else []
        return (*user, *((w, None) for w in self.extra_words))

    def load(self) -> None:
        """Build the dictionary now (about 0.1 s); every other method calls this on first use."""
        if self._jieba is not None:
            return
        with self._lock:
            if self._jieba is not None:
                return
            import rjieba

            tk = rjieba.Jieba()
            for word, freq in self.words:
                tk.add_word(word, freq, None)
            self._jieba = tk

    def cut(self, text: str) -> tuple[str, ...]:
        """Tokens covering the text in order (whitespace and punctuation included)."""
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        self.load()
        tokens = tuple(self._cut(text[:MAX_TOKENIZE_CHARS]))
        self._cache[text] = tokens
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return tokens

    def cut_uncached(self, text: str) -> list[str]:
        """`cut` without its cache (for measuring the cutting itself)."""
        self.load()
        return self._cut(text[:MAX_TOKENIZE_CHARS])

    def _cut(self, text: str) -> list[str]:
        try:
            words: list[str] = self._jieba.cut(text, False)
            return words
        except UnicodeEncodeError:
            pass
        # A lone surrogate (from "\ud83d" in JSON) cannot cross into Rust: cut a copy with U+FFFD in its
        # place, then take the same spans of the original text, so the tokens still partition it.
        safe = "".join(_REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in text)
        out: list[str] = []
        at = 0
        for word in self._jieba.cut(safe, False):
            out.append(text[at : at + len(word)])
            at += len(word)
        return out

    async def cut_async(self, text: str) -> tuple[str, ...]:
        """`cut` in a worker thread, so the dictionary load and long texts never block the event loop."""
        return await asyncio.to_thread(self.cut, text)
