"""The analysis stage with forked analysis processes: order, a killed process, a poison post, no orphans."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.errors import ConfigError
from monitor.config.responders import Responders
from monitor.events.prepared import prepared_bytes
from monitor.pipeline.analyse import AnalysisInput, AnalysisStage, analysis_row, encoded
from monitor.pipeline.analyzer import LazyAnalyzer
from monitor.pipeline.forked import ForkedPool, ProcessDied
from monitor.settings import Settings, parse_analysis_processes
from tests.events.fakes import Analysis, BatchRuleAnalyzer, insert_post

ROOT = Path(__file__).resolve().parents[2]
WATER = "江北区北湖街道多个小区停水三天了，自来水公司和物业互相推诿"


class ChildAnalyzer(BatchRuleAnalyzer):
    """Rules, plus the pid that did the work; `KILL` kills the process working on it (always, or once)."""

    def __init__(self, responders: Responders, once: Path | None = None, delay: float = 0.0) -> None:
        super().__init__(responders)
        self.once = once  # first kill creates this file; later batches with KILL then succeed
        self.delay = delay

    def analyze_many(self, items: list[Any]) -> list[Analysis]:
        if any("KILL" in i.text for i in items):
            if self.once is None or not self.once.exists():
                if self.once is not None:
                    self.once.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.delay)  # both processes get a share of the batch
        out = super().analyze_many(items)
        for i, a in zip(items, out, strict=True):
            a.topic = i.text  # so the stored row says which text it was computed from
            a.explain = {"pid": os.getpid(), "batch": len(items)}
        return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def gone_soon(pids: set[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


@pytest.fixture
def before() -> Iterator[set[int]]:
    """The test's own children when it starts; every child it adds must be gone when it ends."""
    start = children()
    yield start
    assert gone_soon(children() - start)


def forked(responders: Responders, **kwargs: Any) -> LazyAnalyzer:
    return LazyAnalyzer(responders, processes=2, loader=lambda r: ChildAnalyzer(r, **kwargs))


async def stored(pool: asyncpg.Pool) -> dict[int, asyncpg.Record]:
    return {r["post_id"]: r for r in await pool.fetch("SELECT * FROM post_analysis")}


async def test_a_batch_is_split_across_processes_and_stored_in_order(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, before: set[int]
) -> None:
    ids = [await insert_post(pool, f"o{i}", f"{WATER} 第{i}条", clock.now()) for i in range(40)]
    analyzer = forked(responders, delay=0.3)
    try:
        assert await AnalysisStage(pool, clock, analyzer, batch_size=40).run_once() == 40
        assert len(children() - before) == 2
    finally:
        analyzer.close()
    rows = await stored(pool)
    assert [rows[i]["topic"] for i in ids] == [f"{WATER} 第{i}条" for i in range(40)]
    assert rows[ids[0]]["region"] == "jiangbei-beihu" and rows[ids[0]]["polarity"] == "negative"
    assert {"停水", "自来水"} <= set(rows[ids[0]]["keywords"])  # carried back from the processes too
    pids = [rows[i]["explain"]["pid"] for i in ids]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert pids == sorted(pids, key=pids.index)  # each process took one consecutive half


async def test_a_killed_process_is_replaced_and_its_batch_retried(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path, before: set[int]
) -> None:
    ids = [await insert_post(pool, f"k{i}", f"{WATER} {i}", clock.now()) for i in range(9)]
    ids.append(await insert_post(pool, "k-kill", f"{WATER} KILL", clock.now()))
    analyzer = forked(responders, once=tmp_path / "killed")
    try:
        assert await AnalysisStage(pool, clock, analyzer, batch_size=10).run_once() == 10
        first = children() - before
        assert (tmp_path / "killed").exists()
        await insert_post(pool, "k-after", WATER, clock.now())
        assert await AnalysisStage(pool, clock, analyzer, batch_size=10).run_once() == 1
        assert children() - before == first  # the replacements stay in use
    finally:
        analyzer.close()
    rows = await stored(pool)
    assert not [r for r in rows.values() if "error" in r["explain"]]
    assert [rows[i]["explain"]["batch"] for i in ids] == [5] * 10  # retried as a batch, not post by post
    assert rows[ids[-1]]["topic"] == f"{WATER} KILL" and len(rows) == 11


async def test_a_post_that_kills_every_process_gets_an_error_row_and_the_rest_are_stored(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, before: set[int]
) -> None:
    ids = [await insert_post(pool, f"p{i}", f"{WATER} {i}", clock.now()) for i in range(6)]
    poison = await insert_post(pool, "p-kill", "KILL 这条帖子让分析进程崩溃", clock.now())
    ids.append(await insert_post(pool, "p-last", WATER, clock.now()))
    analyzer = forked(responders)
    try:
        assert await AnalysisStage(pool, clock, analyzer, batch_size=20).run_once() == 8
    finally:
        analyzer.close()
    rows = await stored(pool)
    assert "ProcessDied" in rows[poison]["explain"]["error"] and rows[poison]["polarity"] == "neutral"
    assert all(rows[i]["region"] == "jiangbei-beihu" and "error" not in rows[i]["explain"] for i in ids)
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE analysed_at IS NULL") == 0


def test_forked_results_equal_in_process_results(responders: Responders, before: set[int]) -> None:
    """The real analyser: rows stored from the analysis processes equal those analysed in this one."""
    texts = [
        "云江市青石县临港化工园区一化工厂发生爆炸，造成3人死亡",
        "江北区北湖街道停水三天了，自来水公司和物业互相推诿",
        "今天天气真好，很开心",
        "12345：小区门口烧烤油烟扰民，多次投诉无人处理",
    ]
    items = [
        AnalysisInput(t, author_verified_type=1 if i == 0 else None, group_text=t if i else None)
        for i, t in enumerate(texts)
    ]
    here, there = LazyAnalyzer(responders), LazyAnalyzer(responders, processes=2)
    try:
        mine = [analysis_row(i, r) for i, r in enumerate(here.analyze_many(items))]
        theirs = [analysis_row(i, r) for i, r in enumerate(there.analyze_many(items))]
        one = analysis_row(0, there.analyze(texts[0], author_verified_type=1))
        rows_there, rows_here = there.analyse_rows(items), here.analyse_rows(items)
    finally:
        there.close()
    assert theirs == mine and one == mine[0]
    # the rows the stage stores, made (and JSON encoded) in the analysis processes
    # and each post's grouping features (none where the item carried no grouping text)
    features = [None, *(prepared_bytes(t) for t in texts[1:])]
    assert rows_there == rows_here == [(*encoded(row)[1:], f) for row, f in zip(mine, features, strict=True)]
    assert json.loads(rows_there[0][7]) == mine[0][8] and json.loads(rows_there[0][8]) == mine[0][9]


def _in_a_daemonic_process(responders: Responders, out: Any) -> None:
    analyzer = LazyAnalyzer(responders, processes=2, loader=ChildAnalyzer)
    try:
        out.put((analyzer.processes, analyzer.analyze_many([AnalysisInput(WATER)])[0].region))
    finally:
        analyzer.close()


def test_a_daemonic_process_analyses_in_itself(responders: Responders, before: set[int]) -> None:
    """multiprocessing forbids a daemonic process children: the analyser works there without them."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_in_a_daemonic_process, args=(responders, out), daemon=True)
    proc.start()
    try:
        assert out.get(timeout=60) == (0, "jiangbei-beihu")
    finally:
        proc.join(10)
    assert proc.exitcode == 0


def test_close_leaves_no_process_and_a_closed_analyser_refuses_work(
    responders: Responders, before: set[int]
) -> None:
    analyzer = forked(responders)
    assert analyzer.analyze_many([AnalysisInput(WATER)])[0].region == "jiangbei-beihu"
    started = children() - before
    assert len(started) == 2
    analyzer.close()
    assert not any(alive(p) for p in started)  # close waits for them
    with pytest.raises(RuntimeError, match="closed"):
        analyzer.analyze_many([AnalysisInput(WATER)])


def test_processes_leave_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = (
        "import os, time\n"
        "from monitor.pipeline.forked import ForkedPool\n"
        "def pid(state, task):\n"
        "    return os.getpid()\n"
        "pool = ForkedPool(None, 2)\n"
        "print(' '.join(str(p) for p in set(pool.map(pid, [0] * 20))), flush=True)\n"
        "time.sleep(60)\n"
    )
    (tmp_path / "parent.py").write_text(script)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        pids = {int(p) for p in proc.stdout.readline().split()}
        assert pids and all(alive(p) for p in pids)
        proc.kill()
        proc.wait(10)
        assert gone_soon(pids)
    finally:
        proc.kill()
        proc.wait(10)


async def test_a_child_stopped_by_sigterm_does_not_stop_the_service(
    responders: Responders, before: set[int]
) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    analyzer = forked(responders)
    try:
        await asyncio.to_thread(analyzer.analyze_many, [AnalysisInput(WATER)])
        started = children() - before
        for pid in started:
            # the first child's death breaks the pool, which then terminates and reaps the other itself
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        assert gone_soon(started)
        results = await asyncio.to_thread(analyzer.analyze_many, [AnalysisInput(WATER)] * 3)
        await asyncio.sleep(0.1)  # a signal byte written to the loop's pipe would be handled by now
        assert len(results) == 3 and not stop.is_set()
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        analyzer.close()


def test_a_dead_pool_raises_process_died_then_works_again(before: set[int]) -> None:
    with ForkedPool(7, 2) as pool:
        assert pool.map(add, [1, 2, 3]) == [8, 9, 10]
        with pytest.raises(ProcessDied):
            pool.map(die, [0])
        assert pool.map(add, [1]) == [8] and pool.restarts == 1


def add(state: int, n: int) -> int:
    return state + n


def die(state: int, n: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return n


@pytest.mark.parametrize(
    ("value", "cpus", "expected"),
    [(None, 8, 2), ("", 1, 1), ("auto", 4, 2), (" AUTO ", 1, 1), ("0", 4, 0), ("1", 4, 1), ("3", 2, 3)],
)
def test_analysis_processes_setting(value: str | None, cpus: int, expected: int) -> None:
    assert parse_analysis_processes(value, cpus) == expected


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "65", "²", "2 processes"])
def test_a_bad_analysis_processes_setting_stops_the_start_with_its_name(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"YUQING_ANALYSIS_PROCESSES": value})
    assert [(p.file, p.path) for p in err.value.problems] == [("environment", "YUQING_ANALYSIS_PROCESSES")]
    assert repr(value) in str(err.value) and "auto" in str(err.value)
    assert Settings.from_env({"YUQING_ANALYSIS_PROCESSES": "0"}).analysis_processes == 0
