"""What the retention policy keeps (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta


def cutoff(now: datetime, keep: timedelta | None) -> datetime | None:
    """Events whose last post is older than this may go; None when the policy keeps everything."""
    if keep is None:
        return None
    return now - keep
