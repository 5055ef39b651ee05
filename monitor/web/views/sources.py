"""The sources page: the health of every source (last success, failures and why)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from monitor.web.html import Html, join, render
from monitor.web.views.parts import local_time

STATE_LABELS: dict[str, str] = {
    "new": "未轮询",
    "ok": "正常",
    "not_modified": "正常（无更新）",
    "failing": "失败",
    "blocked": "被拦截（需登录/风控）",
    "stale": "长时间无数据",
    "disabled": "已停用",
}
KIND_LABELS: dict[str, str] = {"feed": "RSS/新闻", "weibo": "微博", "hotline": "12345"}


def health_class(item: dict[str, Any]) -> str:
    """ok | warn | bad: how worried the operator should be about a source."""
    if item["state"] in ("failing", "blocked") or item["stale"]:
        return "bad"
    if item["state"] in ("new", "stale", "disabled") or item["consecutive_failures"]:
        return "warn"
    return "ok"


def _row(item: dict[str, Any], zone: tzinfo) -> Html:
    error = item["last_error"] or ""
    if item["last_error_kind"]:
        error = f"[{item['last_error_kind']}] {error}"
    return render(
        '<tr class="health-{cls}"><td data-label="信源"><strong>{name}</strong><br><small>{id}</small></td>'
        '<td data-label="类型">{kind}</td><td data-label="状态">{state}{stale}</td>'
        '<td data-label="最近成功">{ok}</td><td data-label="连续失败">{fails}</td>'
        '<td data-label="原因" class="error-text">{error}</td><td data-label="帖文数">{posts}</td></tr>',
        cls=health_class(item),
        name=item["name"],
        id=item["id"],
        kind=KIND_LABELS.get(item["kind"], item["kind"]),
        state=STATE_LABELS.get(item["state"], item["state"]),
        stale=Html(" <em>（已超时未更新）</em>") if item["stale"] else Html(""),
        ok=local_time(item["last_success_at"], zone) or "从未",
        fails=item["consecutive_failures"],
        error=error,
        posts=item["posts_total"],
    )


def sources_page(items: list[dict[str, Any]], zone: tzinfo) -> Html:
    if not items:
        return Html('<section class="card"><h1>信源</h1><p class="muted">没有配置信源。</p></section>')
    return render(
        '<section class="card sources"><h1>信源健康</h1><table class="sources-table"><thead><tr>'
        '<th scope="col">信源</th><th scope="col">类型</th><th scope="col">状态</th>'
        '<th scope="col">最近成功</th>'
        '<th scope="col">连续失败</th><th scope="col">原因</th><th scope="col">帖文数</th></tr></thead>'
        "<tbody>{rows}</tbody></table></section>",
        rows=join(_row(i, zone) for i in items),
    )
