"""A server left running by a killed `yuqing` process is adopted by the next one, which stops it when done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from monitor.db.embedded import HOLDERS_FILE, postmaster_pid, start_embedded

ROOT = Path(__file__).resolve().parents[2]

# What `yuqing run` does with the embedded server, reduced to holding it until killed.
HOLD = """
import sys, time
from monitor.db.embedded import start_embedded
start_embedded(sys.argv[1])
print("started", flush=True)
time.sleep(300)
"""


def postmasters(pgdata: Path) -> list[psutil.Process]:
    """The postgres servers running on `pgdata` (their command line names it)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in (proc.info["cmdline"] or []):
            found.append(proc)
    return found


def holders(pgdata: Path) -> list[int]:
    return [int(p) for p in json.loads((pgdata / HOLDERS_FILE).read_text())]


@pytest.mark.timeout(180)
def test_a_server_orphaned_by_kill_9_is_stopped_after_the_next_open_and_close(tmp_path: Path) -> None:
    pgdata = (tmp_path / "pgdata").resolve()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(pgdata)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "started"
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        assert postmasters(pgdata), "the killed process's server should still be running"
        assert holders(pgdata) == [holder.pid]

        server = start_embedded(pgdata)
        assert holders(pgdata) == [os.getpid()], "the dead holder's pid is pruned"
        server.stop()
        assert postmasters(pgdata) == [] and postmaster_pid(pgdata) is None
        assert holders(pgdata) == []

        # A pid recorded before a crash or in another container may belong to an unrelated live process
        # now; with no server running, nobody can be holding one.
        (pgdata / HOLDERS_FILE).write_text(json.dumps([os.getppid()]))
        server = start_embedded(pgdata)
        server.stop()
        assert postmasters(pgdata) == [] and holders(pgdata) == []
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(30)
        for proc in postmasters(pgdata):  # whatever this test left behind
            proc.terminate()
            psutil.wait_procs([proc], timeout=10)
