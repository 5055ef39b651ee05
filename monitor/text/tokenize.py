"""jieba tokenisation (HMM off) with the government/舆情 user dictionary, loaded lazily once, cached."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
CACHE_SIZE = 8192
BLOCK_CACHE_SIZE = 65536
# Texts longer than this are tokenised only up to here: features and keywords need no more.
MAX_TOKENIZE_CHARS = 4000


def read_word_list(path: Path) -> list[str]:
    """One entry per line; `#` starts a comment; the first whitespace-separated field is the word."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return words


class Tokenizer:
    """A private jieba instance (HMM off: faster and stabler) plus extra words such as region names."""

    def __init__(self, extra_words: Iterable[str] = (), *, user_dict: Path | None = USER_DICT) -> None:
        self.extra_words = tuple(w for w in extra_words if w.strip())
        self._user_dict = user_dict
        self._jieba: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._blocks: dict[str, list[str]] = {}
        self._freq: dict[str, int] = {}
        self._log_total = 0.0
        self._patterns: tuple[Any, Any] | None = None

    def load(self) -> None:
        """Build the dictionary now (about 0.7 s); every other method calls this on first use."""
        if self._jieba is not None:
            return
        with self._lock:
            if self._jieba is not None:
                return
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            if self._user_dict is not None:
                for line in self._user_dict.read_text(encoding="utf-8").splitlines():
                    fields = line.split("#", 1)[0].split()
                    if fields:
                        freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
                        tk.add_word(fields[0], freq)
            for word in self.extra_words:
                tk.add_word(word)
            self._freq = tk.FREQ
            self._log_total = math.log(tk.total)
            self._patterns = (jieba.re_han_default, jieba.re_skip_default)
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
        """`cut` without its caches (for measuring the cutting itself)."""
        self.load()
        self._blocks.clear()
        return self._cut(text[:MAX_TOKENIZE_CHARS])

    def jieba_cut(self, text: str) -> list[str]:
        """jieba's own `cut(HMM=False)`, for checking that `cut` agrees with it."""
        self.load()
        return list(self._jieba.cut(text, HMM=False))

    def _cut(self, sentence: str) -> list[str]:
        """jieba's `Tokenizer.cut(HMM=False)`: same blocks, same dictionary, same route, same tie-breaking,
        rewritten without generators and with each Chinese block's result cached (Weibo repeats a lot)."""
        assert self._patterns is not None
        re_han, re_skip = self._patterns
        out: list[str] = []
        blocks = self._blocks
        # The pattern captures, so split() alternates: odd pieces are the runs jieba cuts with its DAG.
        for i, blk in enumerate(re_han.split(sentence)):
            if not blk:
                continue
            if i % 2:
                words = blocks.get(blk)
                if words is None:
                    words = self._cut_block(blk)
                    if len(blocks) >= BLOCK_CACHE_SIZE:
                        blocks.clear()
                    blocks[blk] = words
                out += words
            else:
                for x in re_skip.split(blk):
                    if re_skip.match(x):
                        out.append(x)
                    else:
                        out += x
        return out

    def _cut_block(self, s: str) -> list[str]:
        """jieba's DAG + max-probability route (`get_DAG`, `calc`, `__cut_DAG_NO_HMM`) in one pass."""
        freq, log_total, log = self._freq, self._log_total, math.log
        n = len(s)
        best = [0.0] * (n + 1)
        end = list(range(n + 1))
        for idx in range(n - 1, -1, -1):
            best_score: float | None = None
            best_end = idx
            i = idx
            frag = s[idx]
            while i < n and frag in freq:
                f = freq[frag]
                if f:
                    score = log(f) - log_total + best[i + 1]
                    if best_score is None or score > best_score or (score == best_score and i > best_end):
                        best_score, best_end = score, i
                i += 1
                frag = s[idx : i + 1]
            if best_score is None:
                best_score = log(freq.get(s[idx]) or 1) - log_total + best[idx + 1]
                best_end = idx
            best[idx] = best_score
            end[idx] = best_end
        words: list[str] = []
        buf = ""
        x = 0
        while x < n:
            y = end[x] + 1
            word = s[x:y]
            if word in _ASCII_ALNUM:  # jieba's re_eng on a one-character word
                buf += word
            else:
                if buf:
                    words.append(buf)
                    buf = ""
                words.append(word)
            x = y
        if buf:
            words.append(buf)
        return words

    async def cut_async(self, text: str) -> tuple[str, ...]:
        """`cut` in a worker thread, so the dictionary load and long texts never block the event loop."""
        return await asyncio.to_thread(self.cut, text)
