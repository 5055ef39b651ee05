"""Post text is hostile: no markdown, link, mention or HTML syntax survives into a chat message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.channels.markdown import markdown, plain_text
from monitor.channels.sms import sms_text
from monitor.channels.text import duration, escape, fit, fit_bytes
from tests.channels.notices import HOSTILE, digest_of, notice


@pytest.mark.parametrize(
    "hostile",
    [
        "[点我](http://evil.example)",
        "<@all> 请注意",
        '<at user_id="all">所有人</at>',
        "**粗体** _斜体_ `code` ~~删除~~",
        "# 标题\n> 引用\n- 列表",
        "![img](http://evil.example/a.png)",
        "javascript:alert(1)",
        "www.evil.example 与 https://evil.example/path",
        "dingtalk://dingtalkclient/page/link?url=x",
        '<font color="warning">假警告</font>',
        "\u202e反转\u200b零宽",
    ],
)
def test_escape_leaves_no_live_syntax(hostile: str) -> None:
    out = escape(hostile)
    for live in (
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "*",
        "_",
        "`",
        "#",
        "!",
        "~",
        "@",
        "://",
        "\n",
        "\u202e",
        "\u200b",
    ):
        assert live not in out, (live, out)
    assert "http" not in out or "http：" in out or "https：" in out


def test_markdown_body_escapes_post_text_but_keeps_our_links() -> None:
    body = markdown(notice())
    assert "evil.example/x)" not in body and "<@all>" not in body and "<font color=red>" not in body
    assert "[确认接报](https://yq.example/l/eyJ2IjoxfQ.sig)" in body
    assert "Ⅱ级 重大·橙" in body and "应急管理局" in body and "剩余 3小时12分" in body


def test_fit_summarises_then_splits() -> None:
    long = notice(summary="很长的摘要" * 2000)
    parts = fit(long, markdown, 4096)
    assert len(parts) == 1 and len(parts[0].encode()) <= 4096 and "…" in parts[0]
    tight = fit(long, markdown, 900)
    assert len(tight) == 1 and len(tight[0].encode()) <= 900 and "详见链接" in tight[0]
    parts = fit(digest_of(60), markdown, 4096)
    assert len(parts) > 1 and all(len(p.encode()) <= 4096 for p in parts)
    assert "（1/" in parts[0]


def test_fit_bytes_cuts_on_a_character_boundary() -> None:
    cut = fit_bytes("舆情" * 100, 10)
    assert len(cut.encode()) <= 10 and cut.endswith("…")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(59, "0分"), (600, "10分"), (3600, "1小时"), (3 * 3600 + 720, "3小时12分"), (-90000, "1天1小时")],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_hostile_title_constant_is_hostile() -> None:
    assert "](" in HOSTILE


def test_a_supporting_department_reads_its_role_and_the_lead_in_every_rendering() -> None:
    helper = replace(notice(), department="生态环境局", role="协办", lead="应急管理局")
    assert "> 协办单位：生态环境局（主办：应急管理局）" in markdown(helper)
    assert "协办单位：生态环境局（主办：应急管理局）" in plain_text(helper)
    assert "协办单位生态环境局（主办应急管理局）" in sms_text(helper, 600)
    assert "> 责任单位：应急管理局" in markdown(notice())  # the lead's own message
