"""`yuqing classify`: JSON lines in, one analysis (or error object) per line out, in order, on all cores."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from monitor.text.analyzer import TextAnalyzer
from monitor.text.jsonlines import DEFAULT_MAX_CHARS, RawLine, max_line_bytes, process_lines

DEFAULT_RESPONDERS = Path("responders")
CHUNK_BYTES = 8 << 20  # a batch also ends at this many bytes, so huge lines cannot pile up in memory
WORKER_POLL_SECONDS = 1.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "classify",
        help="JSON lines {id, text} on stdin → one analysis per line on stdout, in order",
        description="Reads JSON lines with at least `text` (and optionally id, region_hint, author_name, "
        "author_verified_type, hotline_urgency); writes one JSON line per input line, in order. "
        'A bad line gives {"id", "line", "error"} for that line only.',
    )
    p.add_argument(
        "--responders",
        type=Path,
        default=None,
        help="responders directory (default: ./responders if present)",
    )
    p.add_argument("--batch-size", type=int, default=256, help="lines per batch (default 256)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1 = in process)")
    p.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, help="longest text accepted")


def build_analyzer(responders: Path | None) -> TextAnalyzer:
    """The analyzer for the given responders directory, or the default one next to us if it exists."""
    if responders is None:
        if not DEFAULT_RESPONDERS.is_dir():
            print("yuqing classify: no ./responders; departments and regions will be null", file=sys.stderr)
            return TextAnalyzer()
        responders = DEFAULT_RESPONDERS
    return TextAnalyzer.from_path(responders)


def read_chunks(stream: IO[bytes], batch_size: int, max_chars: int) -> Iterator[list[RawLine]]:
    """Batches of input lines; a line over the size limit is skipped through and kept only as its size."""
    limit = max_line_bytes(max_chars)
    chunk: list[RawLine] = []
    size = 0
    number = 0
    while True:
        data = stream.readline(limit + 1)
        if not data:
            break
        number += 1
        if len(data) > limit and not data.endswith(b"\n"):
            total = len(data)
            while data and not data.endswith(b"\n"):
                data = stream.readline(1 << 20)
                total += len(data)
            chunk.append(RawLine(number, b"", oversize=total))
        else:
            chunk.append(RawLine(number, data.rstrip(b"\r\n")))
            size += len(data)
        if len(chunk) >= batch_size or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _worker(analyzer: TextAnalyzer, max_chars: int, tasks: Any, results: Any) -> None:
    while True:
        task = tasks.get()
        if task is None:
            return
        index, lines = task
        results.put((index, process_lines(analyzer, lines, max_chars)))


def _write(out: IO[bytes], lines: list[str]) -> None:
    out.write(("\n".join(lines) + "\n").encode("utf-8"))
    out.flush()


def run_parallel(
    analyzer: TextAnalyzer, chunks: Iterator[list[RawLine]], out: IO[bytes], workers: int, max_chars: int
) -> int:
    """Forked workers share the loaded models; results are written strictly in input order."""
    ctx = multiprocessing.get_context("fork")
    tasks: Any = ctx.Queue(maxsize=workers * 2)
    results: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(analyzer, max_chars, tasks, results), daemon=True)
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    pending: dict[int, list[str]] = {}
    next_index = 0
    submitted = 0

    def collect(block: bool) -> None:
        nonlocal next_index
        while True:
            try:
                index, lines = results.get(timeout=WORKER_POLL_SECONDS) if block else results.get_nowait()
            except queue.Empty:
                if block and any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a classify worker died") from None
                if block:
                    continue
                return
            pending[index] = lines
            while next_index in pending:
                _write(out, pending.pop(next_index))
                next_index += 1
            if block:
                return

    try:
        for chunk in chunks:
            while submitted - next_index >= workers * 4:
                collect(block=True)
            tasks.put((submitted, chunk))
            submitted += 1
            collect(block=False)
        while next_index < submitted:
            collect(block=True)
    finally:
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    return 0


def run(args: argparse.Namespace) -> int:
    from monitor.config.errors import ConfigError

    if args.batch_size < 1 or args.workers < 1 or args.max_chars < 1:
        print("yuqing classify: --batch-size, --workers and --max-chars must be positive", file=sys.stderr)
        return 2
    try:
        analyzer = build_analyzer(args.responders)
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2
    analyzer.load()  # before forking, so every worker shares the loaded dictionary and models
    chunks = read_chunks(sys.stdin.buffer, args.batch_size, args.max_chars)
    out = sys.stdout.buffer
    try:
        if args.workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
            for chunk in chunks:
                _write(out, process_lines(analyzer, chunk, args.max_chars))
            return 0
        return run_parallel(analyzer, chunks, out, args.workers, args.max_chars)
    except BrokenPipeError:
        # The reader went away (`yuqing classify | head`): stop quietly, and keep Python's exit flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except RuntimeError as err:
        print(f"yuqing classify: {err}", file=sys.stderr)
        return 1
