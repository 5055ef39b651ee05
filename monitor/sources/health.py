"""Source health after each poll, and which operator alerts (blocked, failing, silent) to raise or resolve."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.sources.backoff import SUCCESSES, OutcomeKind

_MAX_ERROR = 1000


@dataclass(frozen=True)
class Health:
    """The health columns of a `sources` row."""

    state: str = "new"
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_new_post_at: datetime | None = None
    last_error_kind: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class OpsAlert:
    """One operator alert; at most one open per `dedup_key` (a partial unique index)."""

    kind: str
    subject: str
    severity: str
    message: str
    dedup_key: str


@dataclass(frozen=True)
class AlertChanges:
    """Alerts to open (or refresh) and dedup keys of alerts to resolve."""

    raise_: tuple[OpsAlert, ...] = ()
    resolve: tuple[str, ...] = ()


def after_poll(
    prev: Health,
    outcome: OutcomeKind,
    *,
    new_posts: int,
    detail: str,
    now: datetime,
    created_at: datetime,
    stale_after: timedelta,
) -> Health:
    """The health a poll leaves behind: success clears errors, failure counts and records them."""
    if outcome in SUCCESSES:
        last_new = now if new_posts else prev.last_new_post_at
        silent = now - (last_new or created_at) > stale_after
        state = "stale" if silent else ("ok" if outcome == "ok" else "not_modified")
        return Health(state, 0, now, last_new, None, None)
    return replace(
        prev,
        state="blocked" if outcome == "blocked" else "failing",
        consecutive_failures=prev.consecutive_failures + 1,
        last_error_kind=outcome,
        last_error=(detail or outcome)[:_MAX_ERROR],
    )


def alert_keys(source_id: str) -> dict[str, str]:
    """The dedup keys of the three alerts a source can have open."""
    return {kind: f"source:{source_id}:{kind}" for kind in ("blocked", "failing", "silent")}


def alerts_for(
    source_id: str,
    name: str,
    health: Health,
    *,
    now: datetime,
    created_at: datetime,
    stale_after: timedelta,
    polled: bool = True,
) -> AlertChanges:
    """Blocked raises at once (someone must renew a login); failing and silent after `stale_after`.

    A pushed source (12345 intake) is never polled, so silence is its only failure signal.
    """
    keys = alert_keys(source_id)
    label = f"信息源「{name or source_id}」({source_id})"
    raised: list[OpsAlert] = []
    resolved: list[str] = []
    if health.state == "blocked":
        raised.append(
            OpsAlert(
                "source_blocked",
                source_id,
                "critical",
                f"{label}被登录墙或封禁拦截，已停止高频采集：{health.last_error}。请更新登录凭据（Cookie）或稍后再试。",
                keys["blocked"],
            )
        )
    else:
        resolved.append(keys["blocked"])
    failing_for = now - (health.last_success_at or created_at)
    if health.consecutive_failures == 0:
        resolved.append(keys["failing"])
    elif health.state != "blocked" and failing_for > stale_after:
        raised.append(
            OpsAlert(
                "source_failing",
                source_id,
                "warning",
                f"{label}已 {format_age(failing_for)} 未采集成功（连续失败 {health.consecutive_failures} 次，"
                f"{health.last_error_kind}）：{health.last_error}",
                keys["failing"],
            )
        )
    silent_for = now - (health.last_new_post_at or created_at)
    if health.consecutive_failures == 0 and (health.state != "new" or not polled):
        if silent_for > stale_after:
            raised.append(
                OpsAlert(
                    "source_silent",
                    source_id,
                    "warning",
                    f"{label}已 {format_age(silent_for)} 没有新内容，可能已失效或桥接服务停摆。",
                    keys["silent"],
                )
            )
        else:
            resolved.append(keys["silent"])
    return AlertChanges(tuple(raised), tuple(resolved))


def format_age(age: timedelta) -> str:
    """2小时15分钟, 3天4小时: how long, for people."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if mins else f"{hours}小时"
    return f"{mins}分钟"
