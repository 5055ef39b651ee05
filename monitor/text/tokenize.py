"""jieba tokenisation with the government/舆情 user dictionary, loaded lazily once and cached per text."""

from __future__ import annotations

import asyncio
import logging
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
        self._extra = tuple(w for w in extra_words if w.strip())
        self._user_dict = user_dict
        self._jieba: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()

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
            for word in self._extra:
                tk.add_word(word)
            self._jieba = tk

    def cut(self, text: str) -> tuple[str, ...]:
        """Tokens covering the text in order (whitespace and punctuation included)."""
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        self.load()
        tokens = tuple(self._jieba.cut(text[:MAX_TOKENIZE_CHARS], HMM=False))
        self._cache[text] = tokens
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return tokens

    async def cut_async(self, text: str) -> tuple[str, ...]:
        """`cut` in a worker thread, so the dictionary load and long texts never block the event loop."""
        return await asyncio.to_thread(self.cut, text)
