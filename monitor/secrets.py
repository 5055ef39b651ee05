"""Reads secrets from the environment or from `<NAME>_FILE`; values never reach logs or errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class SecretError(RuntimeError):
    """A referenced secret is missing or unreadable (the message names the variable, never the value)."""


def read_secret(name: str, env: Mapping[str, str] | None = None, *, required: bool = False) -> str | None:
    """`NAME` from the environment, or the contents of the file named by `NAME_FILE`."""
    env = os.environ if env is None else env
    value = env.get(name)
    if value:
        return value
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"{name}_FILE points at an unreadable file: {exc.strerror}") from None
    if required:
        raise SecretError(f"secret {name} is not set (set {name} or {name}_FILE)")
    return None
