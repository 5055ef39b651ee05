"""This package's worker jobs (engine tick, sender, auditor), built from the composition root's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.channels.registry import build_channels
from monitor.engine.auditor import Auditor
from monitor.engine.tick import Engine
from monitor.links import LinkSigner, load_link_secret
from monitor.outbox.sender import Sender
from monitor.worker import Job

if TYPE_CHECKING:
    from monitor.app import Services

ENGINE_INTERVAL_S = 0.5
SENDER_INTERVAL_S = 0.2
AUDITOR_INTERVAL_S = 30.0


def sender_id(worker_id: str) -> str:
    """What a worker's sender writes in `outbox.leased_by`."""
    return f"{worker_id}:sender"


def _print(line: str) -> None:
    print(line, flush=True)


def engine_jobs(services: Services) -> list[Job]:
    """Engine, sender and auditor; YUQING_NOTIFY=capture sends every message to the capture channel."""
    s = services
    env = s.settings.env
    links = LinkSigner(load_link_secret(env, s.settings.data_dir), s.settings.public_url)
    capture_all = env.get("YUQING_NOTIFY", "").strip().lower() == "capture"
    channels = build_channels(s.http, s.clock, env, s.pool, capture_all=capture_all, printer=_print)
    engine = Engine(s.pool, s.clock, s.metrics, s.responders)
    sender = Sender(
        s.pool,
        s.clock,
        s.responders,
        channels,
        links=links,
        metrics=s.metrics,
        env=env,
        worker_id=sender_id(s.settings.worker_id),
    )
    auditor = Auditor(s.pool, s.clock, s.metrics)
    return [
        Job(
            "engine",
            engine.run_once,
            interval=ENGINE_INTERVAL_S,
            busy_interval=0.0,
            wakeable=True,
            idle_wait=engine.idle_wait,
        ),
        Job("sender", sender.run_once, interval=SENDER_INTERVAL_S, busy_interval=0.0, wakeable=True),
        Job("auditor", auditor.run_once, interval=AUDITOR_INTERVAL_S),
    ]
