"""Typed aiohttp application keys: how handlers reach the services the composition root built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from monitor.app import Services
    from monitor.links import LinkSigner
    from monitor.web.access import Principal
    from monitor.web.auth import Session
    from monitor.web.options import WebOptions

SERVICES: web.AppKey[Services] = web.AppKey("services")
WEB_OPTIONS: web.AppKey[WebOptions] = web.AppKey("web_options")
LINKS: web.AppKey[LinkSigner] = web.AppKey("links")

# Set by the authentication middleware for each request (absent when nobody is signed in).
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
SESSION: web.RequestKey[Session] = web.RequestKey("session")
