"""`yuqing classify`: JSON lines in, one analysis (or error object) per line out, in order, on all cores."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from monitor.pipeline.forked import ForkedPool, ProcessDied
from monitor.text.analyzer import TextAnalyzer
from monitor.text.jsonlines import DEFAULT_MAX_CHARS, RawLine, max_line_bytes, process_lines

DEFAULT_RESPONDERS = Path("responders")
CHUNK_BYTES = 8 << 20  # a batch also ends at this many bytes, so huge lines cannot pile up in memory


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


def _classify(analyzer: TextAnalyzer, task: tuple[list[RawLine], int]) -> list[str]:
    lines, max_chars = task
    return process_lines(analyzer, lines, max_chars)


def _write(out: IO[bytes], lines: list[str]) -> None:
    out.write(("\n".join(lines) + "\n").encode("utf-8"))
    out.flush()


def run_parallel(
    analyzer: TextAnalyzer, chunks: Iterator[list[RawLine]], out: IO[bytes], workers: int, max_chars: int
) -> int:
    """Forked workers share the loaded models; results are written strictly in input order."""
    with ForkedPool(analyzer, workers) as pool:
        try:
            for lines in pool.imap(_classify, ((c, max_chars) for c in chunks), window=workers * 4):
                _write(out, lines)
        except ProcessDied:
            raise RuntimeError("a classify worker died") from None
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
