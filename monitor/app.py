"""The composition root: builds every component once, wires them together, and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import asyncpg
from aiohttp import web

from monitor.clock import Clock, SystemClock
from monitor.config.both import load_both
from monitor.config.errors import ConfigError
from monitor.config.responders import Responders
from monitor.config.sources import Source
from monitor.db.provision import database
from monitor.engine.jobs import engine_jobs
from monitor.metrics import Metrics
from monitor.observability.job import ObservabilityRefresher
from monitor.pipeline.jobs import pipeline_jobs
from monitor.reload import Reload
from monitor.retention.job import retention_jobs
from monitor.settings import Settings
from monitor.sources.job import poll_job
from monitor.wake import WakeBus
from monitor.web import intake, ops, reports
from monitor.web.app import create_app as create_web_app
from monitor.web.keys import SERVICES
from monitor.worker import Job, Wakeup, run_jobs

log = logging.getLogger(__name__)
# Seconds a connection may sit without delivering a complete request head (see start_http).
HTTP_IDLE_TIMEOUT_S = 10.0
HTTP_MAX_LINE = 8190
HTTP_MAX_HEADERS = 64


@dataclass
class Services:
    """Everything long-lived, built once here and passed explicitly (no globals)."""

    settings: Settings
    clock: Clock
    pool: asyncpg.Pool
    responders: Responders
    sources: list[Source]
    metrics: Metrics
    http: aiohttp.ClientSession
    wakeup: Wakeup = field(default_factory=Wakeup)  # a stored 12345 push or a stage's output wakes the stages
    cleanup: ExitStack = field(default_factory=ExitStack)  # closed when the service stops (analysis pool)


def load_config(settings: Settings) -> tuple[Responders, list[Source]]:
    """Both configs, strictly: any problem stops the start (ConfigError lists those of both files)."""
    responders, sources, problems = load_both(settings.responders_path, settings.sources_path)
    if problems or responders is None or sources is None:
        raise ConfigError(problems)
    return responders, sources


@asynccontextmanager
async def services_for(
    settings: Settings, clock: Clock | None = None, pool: asyncpg.Pool | None = None
) -> AsyncIterator[Services]:
    """Open the database (embedded unless DATABASE_URL), the HTTP client and the metrics registry."""
    responders, sources = load_config(settings)
    timeout = aiohttp.ClientTimeout(total=60, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        if pool is not None:
            services = Services(settings, clock or SystemClock(), pool, responders, sources, Metrics(), http)
            with services.cleanup:
                yield services
            return
        # 10 connections for the jobs and the console, plus the one monitor.wake's listener keeps
        async with database(
            settings.database_url, settings.data_dir, max_size=11, wait_s=settings.db_wait_s
        ) as opened:
            services = Services(
                settings, clock or SystemClock(), opened, responders, sources, Metrics(), http
            )
            with services.cleanup:
                yield services


def build_jobs(services: Services) -> list[Job]:
    """The worker's periodic jobs, each one `run_once()` step of a pipeline stage."""
    jobs: list[Job] = []
    jobs.append(poll_job(services))
    jobs.append(ObservabilityRefresher.for_services(services).job())
    jobs.extend(pipeline_jobs(services))
    jobs.extend(engine_jobs(services))
    jobs.extend(retention_jobs(services))
    return jobs


def build_web(services: Services) -> web.Application:
    """The aiohttp application: API, console, intake, health and metrics."""
    app = create_web_app(services)
    ops.add_routes(app)
    intake.add_routes(app)
    reports.add_routes(app)
    return app


def build_ops_web(services: Services) -> web.Application:
    """A worker's small application: /healthz, /readyz and /metrics only."""
    app = web.Application()
    app[SERVICES] = services
    ops.add_routes(app)
    return app


class ListenError(RuntimeError):
    """The HTTP address is taken or not this machine's (the message names it)."""


def ensure_can_listen(host: str, port: int) -> None:
    """Fail before anything starts (the database takes seconds) if host:port cannot be listened on; a
    pre-check only: `start_http` still reports a port taken in between."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp listens
            probe.bind(address)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` on host:port with the hardened HTTP settings; the caller cleans the runner up.

    aiohttp closes a connection that has not sent a complete request head within `keepalive_timeout`
    of connecting or of its last response, so that one setting bounds both idle keep-alives and
    slow-loris clients trickling headers (its default, 3630 s, would let them hold sockets for an hour).
    Request lines and header fields stay at aiohttp's 8 KiB, with at most 64 headers; bodies are
    bounded by each application (`client_max_size`, the intake's own limit).
    """
    runner = web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=5,
        keepalive_timeout=HTTP_IDLE_TIMEOUT_S,
        max_line_size=HTTP_MAX_LINE,
        max_field_size=HTTP_MAX_LINE,
        max_headers=HTTP_MAX_HEADERS,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def run_service(
    settings: Settings,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    *,
    reload_on_hup: bool = False,
) -> bool:
    """`yuqing run`: worker jobs and/or the web server until SIGINT/SIGTERM or `stop`. With `reload_on_hup`,
    SIGHUP checks the configuration files and, if they pass, stops too and returns True: start again."""
    stop = stop or asyncio.Event()
    reload = Reload(settings.responders_path, settings.sources_path, stop)
    loop = asyncio.get_running_loop()
    handlers = [(signal.SIGINT, stop.set), (signal.SIGTERM, stop.set)]
    if reload_on_hup:
        handlers.append((signal.SIGHUP, reload.ask))
    for sig, handler in handlers:
        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    async with (
        services_for(settings, clock) as services,
        # Work stored here wakes the other processes' stages; a process with stages also hears theirs.
        WakeBus(
            services.pool,
            services.wakeup,
            name=settings.worker_id,
            listen=settings.role != "web",
            metrics=services.metrics,
        ),
    ):
        runner: web.AppRunner | None = None
        serves_console = settings.role in ("all", "web")
        # A worker still serves /healthz, /readyz and /metrics: its engine and delivery metrics live there.
        app = build_web(services) if serves_console else build_ops_web(services)
        host, port = settings.listen
        runner = await start_http(app, host, port)
        what = "console and API" if serves_console else "worker health checks"
        print(f"yuqing: {what} on http://{host}:{port}/ (metrics at /metrics)", flush=True)
        try:
            if settings.role in ("all", "worker"):
                jobs = build_jobs(services)
                print(f"yuqing: worker {settings.worker_id} running {len(jobs)} jobs", flush=True)
                await run_jobs(jobs, services.clock, stop, services.wakeup)
            else:
                await stop.wait()
        finally:
            if runner is not None:
                await runner.cleanup()
    print("yuqing: stopped" + (" for the reload" if reload.requested else ""), flush=True)
    return reload.requested
