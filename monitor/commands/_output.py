"""Output files named on the command line, checked before the work that produces them."""

from __future__ import annotations

import argparse
import os
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
