"""Knobs of the web layer that tests and deployments may change; everything else comes from Settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebOptions:
    """How often the board refreshes, and how strictly logins are limited."""

    board_refresh_s: float = 5.0
    login_max_failures: int = 10
    page_size: int = 50
