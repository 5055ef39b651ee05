"""Alertmanager-compatible output against a real prometheus-alertmanager started on loopback."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from monitor.channels.alertmanager import AlertmanagerChannel
from monitor.channels.base import ChannelError, Destination
from monitor.clock import FakeClock
from tests.channels.notices import NOW, notice
from tests.ports import free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
CONFIG = """
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    if BINARY is None:
        pytest.fail("prometheus-alertmanager is not installed (deploy/scripts/install-system-deps.sh)")
    (tmp_path / "am.yml").write_text(CONFIG)
    port = free_port()
    proc = subprocess.Popen(
        [BINARY, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert proc.poll() is None, "alertmanager exited"
                assert time.monotonic() < deadline, "alertmanager did not start"
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_alert_reaches_a_real_alertmanager(alertmanager: str) -> None:
    clock = FakeClock(NOW.replace(year=2099))  # Alertmanager drops alerts that already ended
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 20
        while True:  # ready once the config is loaded
            try:
                async with session.get(f"{alertmanager}/-/ready") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        channel = AlertmanagerChannel(session, clock)
        await channel.send(notice(), Destination("alertmanager", "am", base_url=alertmanager))
        async with session.get(f"{alertmanager}/api/v2/alerts") as r:
            alerts = await r.json()
        with pytest.raises(ChannelError) as bad:
            await channel.send(notice(), Destination("alertmanager", "am", base_url=f"{alertmanager}/nope"))
        assert not bad.value.retryable
    [alert] = alerts
    assert alert["labels"]["alertname"] == "YuqingIncident"
    assert alert["labels"]["incident"] == "1" and alert["labels"]["grade"] == "2"
    assert alert["labels"]["department"] == "应急管理局"
    assert "发布权威信息：剩余 3小时12分" in alert["annotations"]["clocks"]
    assert alert["generatorURL"] == "https://yq.example/l/eyJ2IjoxfQ.sig"
