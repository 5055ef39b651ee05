"""HTML fragments from feeds and Weibo become plain text; hostile markup never survives or crashes."""

from __future__ import annotations

import pytest

from monitor.sources.text import strip_html, truncate


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        (None, ""),
        ("plain   text", "plain text"),
        ("<p>第一段</p><p>第二段</p>", "第一段\n\n第二段"),
        ("a<br />b<br/>c", "a\nb\nc"),
        ("don&amp;t &lt;b&gt; &#x4e91;江", "don&t <b> 云江"),
        ("<script>alert(1)</script>正文<style>p{}</style>", "正文"),
        ('搬砖<span class="url-icon"><img alt=[偷笑] src="//h5.sinaimg.cn/x.png" /></span>', "搬砖[偷笑]"),
        ('<img alt="a photo of a fire" src="x.jpg">火灾', "火灾"),
        ("零\u200b宽\ufeff字符", "零宽字符"),
        ("全角\u3000空格\u00a0和 不换行", "全角 空格 和 不换行"),
        ("<div><a href='x'>#云江暴雨#</a> 积水严重</div>", "#云江暴雨# 积水严重"),
        ("unclosed <b>bold <i>italic", "unclosed bold italic"),
        ("<<<>>>&&&", "<<<>>>&&&"),
        ("温度<5度", "温度<5度"),
    ],
)
def test_strip_html(html: str | None, text: str) -> None:
    assert strip_html(html) == text


def test_truncate_marks_the_cut() -> None:
    assert truncate("云江市", 10) == "云江市"
    assert truncate("云江市滨江区", 4) == "云江市…"
    assert truncate(None, 3) == ""
