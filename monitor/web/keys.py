"""Typed aiohttp application keys: how handlers reach the services the composition root built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from monitor.app import Services

SERVICES: web.AppKey[Services] = web.AppKey("services")
