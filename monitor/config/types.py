"""Shared config value types: durations, byte sizes and environment-variable references."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, PlainSerializer

STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def parse_duration(value: object) -> timedelta:
    """`90s`, `15m`, `5h`, `7d` (or a number of seconds) → timedelta; anything else is an error."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError('expected duration like "90s", "15m", "5h" or "7d"')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("duration must not be negative")
        return _seconds(value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m:
            return _seconds(float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError('expected duration like "90s", "15m", "5h" or "7d"')


def _seconds(value: float) -> timedelta:
    # pydantic reports only ValueError as a validation problem; timedelta raises OverflowError.
    try:
        return timedelta(seconds=float(value))
    except (OverflowError, ValueError):
        raise ValueError("duration is too large or not a number") from None


def parse_size(value: object) -> int:
    """`5MB`, `512KiB`, or a number of bytes → int bytes."""
    if isinstance(value, bool):
        raise ValueError('expected size like "5MB" or "512KiB"')
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("size must be positive")
        return value
    if isinstance(value, str):
        m = _SIZE.match(value.strip())
        if m:
            size = float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
            if not math.isfinite(size):  # a 400-digit number is inf, and int(inf) raises OverflowError
                raise ValueError("size is too large")
            if int(size) <= 0:
                raise ValueError("size must be positive")
            return int(size)
    raise ValueError('expected size like "5MB" or "512KiB"')


def check_env_name(value: object) -> str:
    """Secrets are referenced by environment variable name only, never written inline."""
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ValueError("expected an environment variable NAME (A-Z, 0-9, _); secrets are never inline")
    return value


def format_duration(td: timedelta) -> str:
    secs = td.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size and secs % size == 0:
            return f"{int(secs // size)}{unit}"
    return f"{secs:g}s"


def _positive(td: timedelta) -> timedelta:
    if td <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return td


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
# a wait, a limit or an interval: zero would mean "never", "at once" or "no timeout at all"
PositiveDuration = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_positive), PlainSerializer(format_duration)
]
ByteSize = Annotated[int, BeforeValidator(parse_size)]
EnvName = Annotated[str, BeforeValidator(check_env_name)]
