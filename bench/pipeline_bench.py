"""End to end, fetched bytes → analysed and grouped posts, against a snownlp-default pipeline. Prints JSON.

Real Weibo posts (the COVID-19 stream, bench/streams.py) are served as RSSHub-style feeds (50 items each) by
an aiohttp server on 127.0.0.1 in its own process. Each measurement runs in a fresh worker process on a fresh
embedded PostgreSQL (durable commits, as `yuqing run`), running the product's stages

  poll (conditional GET, parse, batched store, health) → analyse (AnalysisStage) → group (GroupingStage:
  events, heat, bursts, grading, incidents and their first pages)

as concurrent jobs of one worker, run by the service's own job runner (monitor.worker.run_jobs: a stage drains
while it finds work, a pass that stored rows wakes the stages it feeds, an idle stage waits for that nudge or
its interval), and reports posts/s from the first fetch to the last grouped post and the worker's RSS;
`stage_after_stage` drains them one after the other instead, for each stage's share. Ours uses monitor.text's
analyser (models loaded before the clock starts, as a running worker has them) in forked analysis
processes (YUQING_ANALYSIS_PROCESSES=auto); the baseline is the same pipeline with snownlp's default
`sentiments` as the analyser, measured on a smaller sample in the same run (it manages about 100 posts/s,
so its rate is per post). Ours runs at N and 10×N posts: the growth figure.

`analysis_processes_ab` compares, in the same run on N posts, analysis in the worker process (0, the old
mode: a thread, one core) with the forked processes, both as the service runs the stages (`overlapped`,
where `busy_s` is how long each stage was working and `overlap_s` how long analyse and group were busy at
once) and stage after stage.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import aiohttp

from bench.common import (
    fresh_database,
    machine,
    rss_mb,
    run_in_child,
    serve_feeds,
    server_process,
    warm_feeds,
)
from bench.ingest_bench import make_sources, poller
from bench.streams import covid19
from monitor.clock import FakeClock, SystemClock
from monitor.config.responders import load_responders
from monitor.db.pool import create_pool
from monitor.pipeline.analyse import AnalysisInput, AnalysisStage
from monitor.pipeline.analyzer import LazyAnalyzer
from monitor.pipeline.archive import parse_time
from monitor.pipeline.group import GroupingStage
from monitor.pipeline.jobs import ANALYSE_INTERVAL_S, GROUP_INTERVAL_S
from monitor.settings import parse_analysis_processes
from monitor.sources.job import POLL_INTERVAL, POLL_JOB
from monitor.worker import Job, Wakeup, run_jobs

ROOT = Path(__file__).resolve().parent.parent
PER_FEED = 50
TARGET_POSTS_PER_S = 2000
RUN_TIMEOUT_S = 300.0  # overlapped mode: a run that has not grouped every post by then fails


@functools.cache
def stream() -> list[dict[str, Any]]:
    return list(covid19())


def feed_of_posts(n: int, per_feed: int) -> bytes:
    """Feed n: posts [n·per_feed, (n+1)·per_feed) of the stream as an RSSHub Weibo route renders them."""
    items = []
    for r in stream()[n * per_feed : (n + 1) * per_feed]:
        when = parse_time(r["published_at"]).strftime("%a, %d %b %Y %H:%M:%S %z")
        body = escape("<p>" + escape(r["text"]).replace("\n", "<br>") + "</p>")
        link = f"https://weibo.com/bench/{r['id']}"
        items.append(
            f"<item><guid isPermaLink='false'>{r['id']}</guid><link>{link}</link>"
            f"<pubDate>{when}</pubDate><description>{body}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>微博搜索 - 疫情</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


@dataclass(frozen=True)
class Run:
    """One measurement: which analyser, how many feeds of the server, where the server and database are."""

    analyser: str  # "ours" | "snownlp"
    feeds: int
    base: str
    uri: str
    now: datetime
    processes: int = 0  # analysis processes (0 = a thread of the worker process)
    overlapped: bool = False  # poll, analyse and group as concurrent jobs instead of one after the other
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        """How many posts the feeds serve."""
        return min(self.feeds * PER_FEED, len(stream()))


@dataclass(frozen=True)
class SnowNLPResult:
    negative: float
    polarity: str
    topic: str = "其他"
    topic_score: float = 0.0


class SnowNLPAnalyzer:
    """Baseline analyser: snownlp's default sentiment model, post by post; no topic, region or severity."""

    def analyze(self, text: str, **_: Any) -> SnowNLPResult:
        from snownlp import SnowNLP

        positive = float(SnowNLP(text).sentiments)
        polarity = "negative" if positive < 0.4 else "positive" if positive > 0.6 else "neutral"
        return SnowNLPResult(negative=1.0 - positive, polarity=polarity)


def warm(analyser: str, responders: Any, processes: int) -> tuple[Any, float]:
    started = time.perf_counter()
    if analyser == "snownlp":
        chosen: Any = SnowNLPAnalyzer()
        chosen.analyze("预热：加载模型与词典")
    else:
        chosen = LazyAnalyzer(responders, processes=processes)
        chosen.analyze_many([AnalysisInput("预热：加载模型与词典")])  # and fork the analysis processes
    return chosen, time.perf_counter() - started


class Busy:
    """Wraps a stage's run_once and records when it was working."""

    def __init__(self, run_once: Any) -> None:
        self.run_once_inner = run_once
        self.spans: list[tuple[float, float]] = []

    async def run_once(self) -> int:
        started = time.perf_counter()
        try:
            done: int = await self.run_once_inner()
            return done
        finally:
            self.spans.append((started, time.perf_counter()))


def overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds during which a span of `a` and a span of `b` ran at once (spans within each are disjoint)."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


async def run_as_service(
    fetch: Busy, analyse: Busy, group: Busy, wakeup: Wakeup, expected: int, timeout_s: float
) -> None:
    """The stages as `yuqing run` runs them (monitor.worker.run_job with the service's jobs' names and
    intervals): each drains while it finds work, a pass that stored rows wakes the stages it feeds through
    `wakeup` (which the poller also nudges as each feed's posts are stored), and an idle stage waits for
    that nudge or its interval. Stops once `expected` posts are grouped; raises TimeoutError if that takes
    longer than `timeout_s`."""
    stop = asyncio.Event()
    grouped = 0

    async def group_once() -> int:
        nonlocal grouped
        done = await group.run_once()
        grouped += done
        if grouped >= expected:
            stop.set()
        return done

    jobs = [
        Job(POLL_JOB, fetch.run_once, interval=POLL_INTERVAL, busy_interval=0.0),
        Job("analyse", analyse.run_once, interval=ANALYSE_INTERVAL_S, busy_interval=0.0, wakeable=True),
        Job("group", group_once, interval=GROUP_INTERVAL_S, busy_interval=0.0, wakeable=True),
    ]
    try:
        await asyncio.wait_for(run_jobs(jobs, SystemClock(), stop, wakeup), timeout_s)
    except TimeoutError:
        raise TimeoutError(f"only {grouped} of {expected} posts grouped after {timeout_s:.0f} s") from None


async def measure(run: Run) -> dict[str, Any]:
    """Fetch → parse → store → analyse → group, stage after stage, in this (fresh) process."""
    responders = load_responders(ROOT / "responders")
    analyzer, load_s = warm(run.analyser, responders, run.processes)
    clock = FakeClock(run.now)
    pool = await create_pool(run.uri, max_size=8)
    out: dict[str, Any] = {"analyser": run.analyser, "model_load_s": round(load_s, 2)}
    if run.analyser == "ours":
        out["analysis_processes"] = analyzer.processes
        out["mode"] = "overlapped" if run.overlapped else "stage after stage"
    try:
        with tempfile.TemporaryDirectory(prefix="yuqing-pipeline-bench-") as tmp:
            sources = make_sources(Path(tmp), run.base, run.feeds, "w")
        analyse = Busy(AnalysisStage(pool, clock, analyzer).run_once)
        group = Busy(GroupingStage(pool, clock, responders).run_once)
        stages: dict[str, float] = {}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
            wakeup = Wakeup()  # as the composition root wires it (monitor.sources.job.build_poller)
            p = poller(pool, http, clock, sources, lambda: wakeup.work_appeared(POLL_JOB))
            await p.sync()
            fetch = Busy(p.run_once)
            if run.overlapped:
                started = time.perf_counter()
                await run_as_service(fetch, analyse, group, wakeup, run.posts, RUN_TIMEOUT_S)
                stages["fetch_analyse_group"] = time.perf_counter() - started
            else:
                for name, stage in (("fetch_parse_store", fetch), ("analyse", analyse), ("group", group)):
                    started = time.perf_counter()
                    while await stage.run_once():
                        pass
                    stages[name] = time.perf_counter() - started
        counts = await pool.fetchrow(
            """SELECT (SELECT count(*) FROM posts) AS posts,
                      (SELECT count(*) FROM posts WHERE grouped_at IS NOT NULL) AS grouped,
                      (SELECT count(*) FROM post_analysis) AS analysed,
                      (SELECT count(*) FROM events) AS events,
                      (SELECT count(*) FROM incidents) AS incidents"""
        )
        # The analysis processes share the models' pages with this one, so their RSS overstates the memory.
        forked = [rss_mb(c.pid)["current"] for c in multiprocessing.active_children() if c.pid]
        out["analysis_processes_rss_mb"] = round(sum(forked), 1)
    finally:
        await pool.close()
        close = getattr(analyzer, "close", None)
        if callable(close):
            close()
    total = sum(stages.values())
    posts = int(counts["posts"])
    out |= {k: int(v) for k, v in counts.items()}
    out["seconds"] = round(total, 2)
    out["posts_per_s"] = round(counts["grouped"] / total, 1) if total else None
    out["stage_seconds"] = {k: round(v, 2) for k, v in stages.items()}
    out["stage_posts_per_s"] = {k: round(posts / v) if v else None for k, v in stages.items()}
    if run.overlapped:
        busy = {"fetch": fetch.spans, "analyse": analyse.spans, "group": group.spans}
        out["busy_s"] = {k: round(sum(e - s for s, e in v), 2) for k, v in busy.items()}
        out["overlap_s"] = round(overlap(analyse.spans, group.spans), 2)
    out["worker_rss_mb"] = rss_mb()
    return out


def child(run: Run) -> dict[str, Any]:
    return asyncio.run(measure(run))


async def one(
    base: str, analyser: str, feeds: int, processes: int = 0, overlapped: bool = False
) -> dict[str, Any]:
    """A fresh database and a fresh worker process for one measurement."""
    last = stream()[min(feeds * PER_FEED, len(stream())) - 1]
    now = parse_time(last["published_at"]) + timedelta(minutes=1)
    await warm_feeds(base, feeds)
    async with fresh_database("yuqing-pipeline-bench-") as uri:
        run = Run(analyser, feeds, base, uri, now, processes, overlapped)
        return await asyncio.to_thread(run_in_child, child, run)


def brief(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("analysis_processes", "mode", "posts", "seconds", "posts_per_s", "stage_posts_per_s")
    more = ("busy_s", "overlap_s", "worker_rss_mb", "analysis_processes_rss_mb")
    return {k: r[k] for k in (*keys, *more) if k in r}


async def run(quick: bool) -> dict[str, Any]:
    feeds = 10 if quick else 60  # 500 / 3,000 posts; then 10×
    baseline_feeds = 1 if quick else 6  # snownlp: 50 / 300 posts
    with server_process(serve_feeds, feed_of_posts, PER_FEED) as port:
        base = f"http://127.0.0.1:{port}"
        # as the service runs them: the stages as concurrent jobs of one worker
        baseline = await one(base, "snownlp", baseline_feeds, overlapped=True)
        processes = parse_analysis_processes("auto")
        ours = await one(base, "ours", feeds, processes, overlapped=True)
        ours_10x = await one(base, "ours", feeds * 10, processes, overlapped=True)
        # each stage alone (their shares), and analysis in the worker process instead of forked ones
        apart = {n: await one(base, "ours", feeds, n) for n in (0, processes)}
        in_worker = await one(base, "ours", feeds, 0, overlapped=True)
    rate = ours["posts_per_s"]
    return {
        "name": "pipeline",
        "quick": quick,
        "data": "COVID-19 Weibo stream (real posts), RSSHub-style feeds of 50 items on 127.0.0.1",
        "end_to_end": ours,
        "end_to_end_10x_posts": ours_10x,
        "baseline_snownlp": baseline,
        "stage_after_stage": apart[processes],
        "analysis_processes_ab": {
            "stage_after_stage": {str(n): brief(r) for n, r in apart.items()},
            "overlapped": {"0": brief(in_worker), str(processes): brief(ours)},
        },
        "speedup_vs_snownlp": round(rate / baseline["posts_per_s"], 1) if baseline["posts_per_s"] else None,
        "growth_10x_posts": {
            "posts": [ours["grouped"], ours_10x["grouped"]],
            "posts_per_s": [rate, ours_10x["posts_per_s"]],
            "seconds": [ours["seconds"], ours_10x["seconds"]],
            "worker_rss_mb_peak": [ours["worker_rss_mb"]["peak"], ours_10x["worker_rss_mb"]["peak"]],
            "events": [ours["events"], ours_10x["events"]],
        },
        "target_posts_per_s": TARGET_POSTS_PER_S,
        "meets_target": rate >= TARGET_POSTS_PER_S,
        "note": (
            "one worker process (with its analysis processes) running poll, analyse and group as concurrent "
            "jobs, as `yuqing run` does; `stage_after_stage` drains them one after the other for each "
            "stage's share; models loaded before timing (model_load_s). Several worker processes: "
            "bench/scaleout_bench.py"
        ),
        "machine": machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline_bench")
    parser.add_argument(
        "--quick", action="store_true", help="500 and 5,000 posts instead of 3,000 and 30,000"
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.quick)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
