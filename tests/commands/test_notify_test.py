"""`yuqing notify-test` against vendor look-alikes on 127.0.0.1 (DingTalk, WeCom and Feishu robots checking
their signatures, the signed SMS gateway, a real SMTP server): one line per route, the vendors' own error
codes, no secrets in the output, nothing sent on --dry-run."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from monitor.channels.base import Destination
from monitor.channels.registry import ChannelSet
from monitor.channels.wecom import WeComChannel
from monitor.cli import main
from monitor.clock import SystemClock
from monitor.commands.notify_test import Route, line, notice_for, outcome, redact, send_all
from monitor.config.responders import load_responders
from tests.channels.fakes import FakeDingTalk, FakeFeishu, FakeGateway, FakeWeCom, serve
from tests.channels.smtp import Mailbox

ROOT = Path(__file__).resolve().parents[2]
# 应急管理局: signed DingTalk robot; 水务局: WeCom robot; 人社局: signed Feishu bot. Each has a mail channel
# and three people with an SMS number and a mailbox; 水务局's head also gets a voice contact (`responders`).
DEPARTMENTS = ("yingji", "shuiwu", "renshe")
ROUTES = 3 * 8 + 1
SECRETS = ("dt-token", "SECdingtalk-secret", "wc-key", "fs-token", "fs-secret", "gw-secret")
WAIT_S = 60  # every command run is bounded: a hang fails the test instead of stalling the suite


@dataclass
class Vendors:
    dingtalk: FakeDingTalk
    wecom: FakeWeCom
    feishu: FakeFeishu
    gateway: FakeGateway
    mailbox: Mailbox

    def requests(self) -> int:
        robots = (self.dingtalk, self.wecom, self.feishu, self.gateway)
        return sum(v.requests for v in robots) + len(self.mailbox.messages)


@pytest.fixture
def responders(tmp_path: Path) -> Path:
    """A copy of the example responders/ in which 水务局's head also has a voice contact."""
    root = tmp_path / "responders"
    shutil.copytree(ROOT / "responders", root)
    path = root / "shuiwu.yaml"
    sms = '      - {kind: sms, to: "+8613864540002"}\n'
    text = path.read_text(encoding="utf-8")
    assert sms in text
    path.write_text(
        text.replace(sms, sms + '      - {kind: voice, to: "+8613864540002"}\n'), encoding="utf-8"
    )
    return root


@pytest.fixture
async def vendors(smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Vendors]:
    """Every vendor running, and the environment pointing the three departments and the gateways at them."""
    for name in list(os.environ):
        if name.startswith(("YQ_", "YUQING_")):
            monkeypatch.delenv(name)
    clock = SystemClock()  # the command signs with the wall clock; the look-alikes check against the same
    fakes = Vendors(FakeDingTalk(clock), FakeWeCom(clock), FakeFeishu(clock), FakeGateway(clock), smtp[0])
    async with AsyncExitStack() as stack:
        dingtalk = await stack.enter_async_context(serve(fakes.dingtalk.app()))
        wecom = await stack.enter_async_context(serve(fakes.wecom.app()))
        feishu = await stack.enter_async_context(serve(fakes.feishu.app()))
        gateway = await stack.enter_async_context(serve(fakes.gateway.app()))
        env = {
            "YQ_YINGJI_DINGTALK_URL": f"{dingtalk}/robot/send?access_token=dt-token",
            "YQ_YINGJI_DINGTALK_SECRET": "SECdingtalk-secret",
            "YQ_SHUIWU_WECOM_URL": f"{wecom}/cgi-bin/webhook/send?key=wc-key",
            "YQ_RENSHE_FEISHU_URL": f"{feishu}/open-apis/bot/v2/hook/fs-token",
            "YQ_RENSHE_FEISHU_SECRET": "fs-secret",
            "YUQING_SMS_GATEWAY_URL": f"{gateway}/send",
            "YUQING_SMS_GATEWAY_SECRET": "gw-secret",
            "YUQING_SMTP_HOST": "127.0.0.1",
            "YUQING_SMTP_PORT": str(smtp[1]),
            "YUQING_SMTP_FROM": "yuqing@yunjiang.gov.cn",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fakes


async def notify_test(*argv: str) -> int:
    """The command as an installer runs it (its own event loop, in a thread, while the look-alikes serve)."""
    return await asyncio.wait_for(asyncio.to_thread(main, ["notify-test", *argv]), WAIT_S)


def selected(responders: Path) -> list[str]:
    return ["--responders", str(responders), *(a for d in DEPARTMENTS for a in ("--department", d))]


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    for part in ("access_token", "key=", "/robot/send", "/hook/", "http"):
        assert part not in text, part


async def test_every_route_delivered_exits_0(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await notify_test(*selected(responders)) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[-1] == f"{ROUTES} of {ROUTES} routes delivered"
    assert len(lines) == ROUTES + 1 and all(x.endswith(" | OK") for x in lines[:-1]), out
    assert (
        "yingji | channel group (dingtalk); also person 毛秀英 (yingji.duty) dingtalk | 应急管理局/group | OK"
        in lines
    )  # the duty officer's robot contact is the group itself: one message, one line
    assert "shuiwu | person 邹超 (shuiwu.head) voice | 邹超 +86138****0002 | OK" in lines
    assert "renshe | person 罗杰 (renshe.head) email | 罗杰 re***@yunjiang.gov.cn | OK" in lines
    text = vendors.dingtalk.received[0]["markdown"]["text"]
    assert "【舆情哨】测试消息" in text and "这是 云江市应急管理局 的通道测试，无需处理。" in text
    assert len(vendors.wecom.received) == len(vendors.feishu.received) == 1
    texts = {(b["to"], b["type"]): b["text"] for b in vendors.gateway.received}
    assert len(texts) == 10 and ("+8613864540002", "voice") in texts
    assert texts["+8613864540001", "sms"].startswith(
        "【舆情哨】测试消息：这是 云江市水务局 的通道测试，无需处理。"
    )
    assert len(vendors.mailbox.messages) == 3 + 9
    assert_no_secrets(out + err)


async def test_a_robot_answering_310000_fails_its_line_and_the_rest_are_sent(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YQ_YINGJI_DINGTALK_SECRET", "SECwrong-secret")  # 加签 with the wrong secret
    assert await notify_test(*selected(responders)) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    failed = [x for x in lines if "FAILED" in x]
    assert len(failed) == 1, out
    assert failed[0].startswith("yingji | channel group (dingtalk)")
    assert "| FAILED auth: dingtalk 310000: sign not match" in failed[0]
    assert "YQ_YINGJI_DINGTALK_SECRET" in failed[0] and "SECwrong-secret" not in out
    assert lines[-1] == f"{ROUTES - 1} of {ROUTES} routes delivered"
    assert vendors.dingtalk.received == [] and vendors.dingtalk.requests == 1
    assert len(vendors.wecom.received) == len(vendors.feishu.received) == 1
    assert len(vendors.gateway.received) == 10 and len(vendors.mailbox.messages) == 12
    assert_no_secrets(out + err)


async def test_a_missing_url_variable_is_a_config_line_naming_it(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("YQ_SHUIWU_WECOM_URL")
    assert await notify_test(*selected(responders)) == 1
    out, err = capsys.readouterr()
    assert (
        "shuiwu | channel group (wecom); also person 姜杰 (shuiwu.duty) wecom | 水务局/group | "
        "FAILED config: wecom robot URL not configured: set YQ_SHUIWU_WECOM_URL (or YQ_SHUIWU_WECOM_URL_FILE)"
    ) in out.splitlines()
    assert out.splitlines()[-1] == f"{ROUTES - 1} of {ROUTES} routes delivered"
    assert vendors.wecom.requests == 0 and len(vendors.feishu.received) == 1
    assert "Traceback" not in err


async def test_secrets_stay_out_even_when_a_robot_echoes_the_request(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"errcode": 93000, "errmsg": f"invalid webhook url {request.url}"})

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", echo)
    async with serve(app) as base:
        monkeypatch.setenv("YQ_SHUIWU_WECOM_URL", f"{base}/cgi-bin/webhook/send?key=wc-key")
        assert await notify_test("--responders", str(responders), "--department", "shuiwu") == 1
    out, err = capsys.readouterr()
    assert "| 水务局/group | FAILED config: wecom 93000: invalid webhook url ***" in out
    assert_no_secrets(out + err)


async def test_dry_run_lists_routes_and_variables_and_sends_nothing(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("YQ_RENSHE_FEISHU_SECRET")
    assert await notify_test(*selected(responders), "--dry-run") == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert vendors.requests() == 0
    assert len(lines) == ROUTES + 1
    assert (
        "yingji | channel group (dingtalk); also person 毛秀英 (yingji.duty) dingtalk | 应急管理局/group | "
        "needs YQ_YINGJI_DINGTALK_URL (set), YQ_YINGJI_DINGTALK_SECRET (set)"
    ) in lines
    assert lines[1].endswith("| 应急管理局/mail | needs YUQING_SMTP_HOST (set)")
    assert any(
        x.endswith("needs YQ_RENSHE_FEISHU_URL (set), YQ_RENSHE_FEISHU_SECRET (not set)") for x in lines
    )
    assert (
        "shuiwu | person 邹超 (shuiwu.head) voice | 邹超 +86138****0002 | "
        "needs YUQING_SMS_GATEWAY_URL (set), YUQING_SMS_GATEWAY_SECRET (set, optional)"
    ) in lines  # without its own gateway, voice goes through the SMS one, as the sender does it
    assert lines[-1] == f"{ROUTES} routes, 1 of them missing a variable; nothing sent (--dry-run)"
    assert_no_secrets(out + err)


async def test_an_unknown_department_is_a_usage_error_naming_it(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--responders", str(responders), "--department", "shuiwu", "--department", "shuiwuju"]
    assert await notify_test(*argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: yuqing notify-test")
    assert "yuqing notify-test: error: unknown department 'shuiwuju' (known: binjiang-zhujian," in err
    assert vendors.requests() == 0


async def test_configuration_problems_are_listed_and_nothing_is_sent(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (responders / "shuiwu.yaml").write_text("id: shuiwu\nname: 水务局\nwat: 1\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_SMTP_PORT", "twenty-five")
    assert await notify_test("--responders", str(responders)) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("yuqing notify-test: configuration has problems:")
    assert "shuiwu.yaml: wat: unknown key" in err and "YUQING_SMTP_PORT" in err
    assert vendors.requests() == 0


def test_every_department_is_tested_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notify-test", "--responders", str(ROOT / "responders"), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    named = {x.split(" | ")[0] for x in lines[:-1]}
    assert named == set(load_responders(ROOT / "responders").departments)
    assert lines[-1].startswith(f"{len(lines) - 1} routes, ")


async def test_a_send_that_never_answers_is_cut_off_and_the_others_still_go(
    vendors: Vendors, responders: Path
) -> None:
    release = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"errcode": 0})

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", silent)
    r = load_responders(responders)
    shuiwu = r.departments["shuiwu"]
    async with serve(app) as base, aiohttp.ClientSession() as session:
        wecom = WeComChannel(session)  # its own 10 s request timeout: the per-send bound comes first
        good_url = os.environ["YQ_SHUIWU_WECOM_URL"]
        silent_url = f"{base}/cgi-bin/webhook/send?key=wc-key"
        routes = [
            Route("shuiwu", "channel group (wecom)", Destination("wecom", "a", "silent", url=silent_url)),
            Route("shuiwu", "channel group (wecom)", Destination("wecom", "b", "answers", url=good_url)),
        ]
        notices = [notice_for(shuiwu, rt.dest, SystemClock().now(), "Asia/Shanghai") for rt in routes]
        out = io.StringIO()
        channels = ChannelSet({"wecom": wecom})
        try:
            errors = await asyncio.wait_for(
                send_all(routes, notices, channels, {}, out, send_timeout=0.5), WAIT_S
            )
        finally:
            release.set()
    assert errors[0] is not None and (errors[0].kind, errors[0].reason) == (
        "transient",
        "no answer within 0.5 s",
    )
    assert errors[1] is None and len(vendors.wecom.received) == 1
    assert out.getvalue().splitlines() == [
        "shuiwu | channel group (wecom) | silent | FAILED transient: no answer within 0.5 s",
        "shuiwu | channel group (wecom) | answers | OK",
    ]


def test_redact_takes_out_the_url_its_tokens_and_the_secret() -> None:
    dest = Destination(
        "feishu", "channel:renshe/group", "人社局/group",
        url="https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-token", secret="fs-signing-secret",
    )  # fmt: skip
    reason = "x https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-token 0a1b2c3d-token fs-signing-secret"
    assert redact(reason, dest) == "x *** *** ***"
    route = Route("renshe", "channel group (feishu)", dest)
    assert line(route, outcome(route, None, {})) == "renshe | channel group (feishu) | 人社局/group | OK"


def test_the_notice_names_the_department_and_the_city_time(responders: Path) -> None:
    dept = load_responders(responders).departments["shuiwu"]
    now = datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)
    notice = notice_for(dept, Destination("sms", "sms:+86"), now, "Asia/Shanghai")
    assert notice.headline == "【舆情哨】测试消息"
    assert notice.title == "这是 云江市水务局 的通道测试，无需处理。（2026-06-01 16:00:05）"
    assert notice.key == "notify-test:1780300805000:sms:+86"  # the SMS gateway's idempotency key, per run


async def test_the_capture_channel_is_listed_but_not_counted(
    vendors: Vendors, responders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = responders / "shuiwu.yaml"
    text = path.read_text(encoding="utf-8")
    assert "channels:\n" in text
    path.write_text(text.replace("channels:\n", "channels:\n  archive: {kind: capture}\n"), encoding="utf-8")
    assert await notify_test("--responders", str(responders), "--department", "shuiwu") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "shuiwu | channel archive (capture) | 水务局/archive | "
        "not sent: the capture channel keeps messages in the service's database"
    )
    assert lines[-1] == "9 of 9 routes delivered" and len(lines) == 11
