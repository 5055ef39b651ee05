"""Command-line argument types, checked when the arguments are parsed: before the work they are for."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path


def unwritable(path: Path) -> str | None:
    """Why `path` cannot be written as a file (None if it can): checked first, so a long run is not lost."""
    if path.is_dir():
        return "is a directory"
    parent = path.parent
    if not parent.is_dir():
        return f"no such directory: {parent}"
    if not os.access(path if path.exists() else parent, os.W_OK):
        return "permission denied"
    return None


def output_file(value: str) -> Path:
    """argparse type: a path that can be written as a file."""
    path = Path(value)
    problem = unwritable(path)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{value}: {problem}")
    return path


def whole(least: int, most: int | None = None, what: str = "a whole number") -> Callable[[str], int]:
    """argparse type: a whole number from `least` (to `most`), written in ASCII digits."""
    limit = f"from {least} to {most}" if most is not None else f"of at least {least}"
    digits = len(str(most)) if most is not None else 12

    def parse(value: str) -> int:
        text = value.strip()
        ok = text.isascii() and text.isdigit() and len(text) <= digits
        if not ok or int(text) < least or (most is not None and int(text) > most):
            raise argparse.ArgumentTypeError(f"expected {what} {limit}, got {value!r}")
        return int(text)

    return parse
