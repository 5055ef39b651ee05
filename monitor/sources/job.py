"""Builds the polling job from the composition root's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.config.responders import Responders
from monitor.sources.fetch import Fetcher
from monitor.sources.poller import Poller, PollerSettings
from monitor.worker import Job

if TYPE_CHECKING:
    from monitor.app import Services

POLL_INTERVAL = 1.0  # seconds between passes that found nothing due
POLL_JOB = "poll-sources"


def region_codes(responders: Responders) -> dict[str, str]:
    """12345 region code → region id, from responders/_regions.yaml."""
    return {code: region.id for region in responders.regions.values() for code in region.codes}


def build_poller(services: Services, settings: PollerSettings | None = None) -> Poller:
    """A poller wired to the services' pool, HTTP session, clock, metrics and configuration."""
    return Poller(
        pool=services.pool,
        fetcher=Fetcher(services.http, services.clock),
        clock=services.clock,
        metrics=services.metrics,
        sources=services.sources,
        settings=settings or PollerSettings(worker_id=services.settings.worker_id),
        env=services.settings.env,
        region_codes=region_codes(services.responders),
        # each source's new posts wake the analyse stage (here and in the other workers) once stored
        on_stored=lambda: services.wakeup.work_appeared(POLL_JOB),
    )


def poll_job(services: Services) -> Job:
    """The `poll-sources` job: its first pass syncs sources.yaml into the table, then polls what is due."""
    poller = build_poller(services)
    return Job(name=POLL_JOB, run_once=poller.run_once, interval=POLL_INTERVAL, busy_interval=0.0)
