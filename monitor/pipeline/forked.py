"""Forked processes that inherit a loaded object (the text models) and work batches on it, in order."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
PARENT_POLL_S = 0.5  # how soon a child notices its parent was killed (SIGKILL) and leaves
STOP_TIMEOUT_S = 5.0  # how long `close` lets a child finish its batch before killing it

# Set only in a forked child, by its initializer: the object it inherited from the parent.
_inherited: Any = None
# Held back in a child from its fork until its initializer has replaced the parent's handlers.
_DEFERRED = {signal.SIGTERM, signal.SIGINT}


class ProcessDied(RuntimeError):
    """A child ended abruptly (killed, out of memory) while working; the next use starts fresh children."""


def fork_available() -> bool:
    """Whether this process can fork analysis processes: the platform forks, and this process is not a
    daemonic multiprocessing child (which multiprocessing forbids to have children)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def _adopt(state: Any, parent: int) -> None:
    global _inherited
    _inherited = state
    # The parent's asyncio loop routes signals into its own self-pipe, which the child inherited: a SIGTERM
    # to a child must not stop the parent's service. Ctrl-C reaches the whole group; the parent decides.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Blocked since the fork (see ForkedPool._running): one that arrived meanwhile takes effect now, under
    # the child's own handlers, instead of reaching the parent's loop through the inherited wakeup fd.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _DEFERRED)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # A parent killed by SIGKILL cannot stop its children: they notice they were re-parented and leave.
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def _call(fn: Callable[[Any, T], R], task: T) -> R:
    return fn(_inherited, task)


class ForkedPool(Generic[S]):
    """`processes` children forked after `state` is loaded, so they share it instead of loading it again.

    A child that dies abruptly fails the work in flight with ProcessDied; the pool is then recreated on
    its next use. Children leave when closed, when the parent exits, and when the parent is killed.
    """

    def __init__(self, state: S, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        if not fork_available():
            raise RuntimeError("forked analysis processes need the 'fork' start method (Linux)")
        self._state = state
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self.restarts = 0

    def start(self) -> None:
        """Fork the children now (otherwise on first use)."""
        self._running()

    def _running(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the analysis processes were closed")
            if self._executor is None:
                executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_adopt,
                    initargs=(self._state, os.getpid()),
                )
                # With fork, the first submit forks every child. Frozen objects are never collected by a
                # child's GC, so the models' pages stay shared instead of being copied on write.
                gc.freeze()
                # Children are forked from this thread and inherit its signal mask: until their initializer
                # runs they must not handle SIGTERM/SIGINT with the parent's handlers.
                masked = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
                try:
                    first = executor.submit(os.getpid)
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, masked)
                    gc.unfreeze()
                try:
                    first.result()
                except BaseException:
                    _stop(executor)
                    raise
                self._executor = executor
            return self._executor

    def _broken(self, executor: ProcessPoolExecutor, cause: BaseException) -> ProcessDied:
        with self._lock:
            if self._executor is executor:
                self._executor = None
                self.restarts += 1
        _stop(executor)
        return ProcessDied(f"an analysis process died (killed or out of memory): {cause}")

    def map(self, fn: Callable[[S, T], R], tasks: Sequence[T]) -> list[R]:
        """`fn(state, task)` for every task, spread over the children; results in task order."""
        executor = self._running()
        futures: list[Future[R]] = []
        try:
            futures = [executor.submit(_call, fn, t) for t in tasks]
            return [f.result() for f in futures]
        except BrokenProcessPool as exc:
            raise self._broken(executor, exc) from exc
        finally:
            for f in futures:
                f.cancel()

    def imap(self, fn: Callable[[S, T], R], tasks: Iterable[T], window: int) -> Iterator[R]:
        """Like `map` for a stream: results in task order as they are ready, at most `window` in flight."""
        executor = self._running()
        pending: deque[Future[R]] = deque()
        try:
            for task in tasks:
                while len(pending) >= window:
                    yield pending.popleft().result()
                pending.append(executor.submit(_call, fn, task))
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as exc:
            raise self._broken(executor, exc) from exc
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        """Stop the children: each finishes its current task, then leaves (killed after STOP_TIMEOUT_S)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            _stop(executor)

    def __enter__(self) -> ForkedPool[S]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(executor: ProcessPoolExecutor) -> None:
    processes = list((executor._processes or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for p in processes:
        p.join(max(deadline - time.monotonic(), 0.0))
        if p.is_alive():
            p.kill()
            p.join(1.0)
