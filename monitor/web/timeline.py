"""Timeline entries in Chinese for people: what kind of entry, and a one-line note from its detail (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from monitor.config.responders import Responders
from monitor.web.present import ACTION_LABELS, department_name, iso, person_name

KIND_LABELS: dict[str, str] = {
    **ACTION_LABELS,
    "opened": "立案",
    "graded": "定级",
    "regraded": "调整级别",
    "regraded_clocks": "级别调整（时限不变）",
    "post_joined": "新增帖文",
    "merged": "并单",
    "clocks_started": "法定时限开始计时",
    "clock_tightened": "并单工单时限更紧，时限提前",
    "escalation": "呼叫责任人",
    "clock_warning": "时限预警",
    "clock_breach": "时限超时",
    "target_missed": "内部时限未达成",
    "breach_escalation": "超时逐级上报",
    "notification": "通知",
    "reassigned": "改派",
    "review": "复盘",
}
MAX_NOTE = 300


def target_name(target: str, person: Callable[[str], str | None], department: Callable[[str], str]) -> str:
    """`person:zhujian.head` → 高磊; `channel:zhujian/group` → 住建局工作群."""
    kind, _, ref = target.partition(":")
    if kind == "person":
        return person(ref) or ref
    if kind == "channel":
        dept, _, _name = ref.partition("/")
        return f"{department(dept)}工作群"
    return target


def describe(
    kind: str,
    detail: Mapping[str, Any],
    person: Callable[[str], str | None],
    department: Callable[[str], str],
) -> str:
    """A short note for the entry, or '' when the label says it all."""
    evidence = detail.get("evidence") if isinstance(detail.get("evidence"), Mapping) else {}
    parts: list[str] = []
    targets = detail.get("targets")
    if kind == "reassign" and detail.get("to"):
        parts.append(f"{department(str(detail.get('from', '')))} → {department(str(detail['to']))}")
    if kind in ("clock_warning", "clock_breach", "breach_escalation") and detail.get("clock_kind"):
        parts.append(str(detail.get("clock_label") or detail["clock_kind"]))
    if kind == "press_conference" and detail.get("place"):
        parts.append(f"地点：{detail['place']}")
    if kind == "clocks_started" and isinstance(detail.get("clocks"), list):
        parts.append("、".join(str(c.get("label", "")) for c in detail["clocks"] if isinstance(c, Mapping)))
    if kind in ("graded", "regraded") and detail.get("grade"):
        parts.append(f"级别 {detail['grade']}")
    for key in ("reason", "text", "record", "note"):
        value = detail.get(key) or (evidence or {}).get(key)
        if (
            isinstance(value, str)
            and value
            and not (kind in ("escalation", "clocks_started") and key == "reason")
        ):
            parts.append(value)
            break
    if isinstance(targets, list) and targets:
        parts.append("通知 " + "、".join(target_name(str(t), person, department) for t in targets[:8]))
    note = "；".join(p for p in parts if p)
    return note[:MAX_NOTE]


def entry_url(detail: Mapping[str, Any]) -> str | None:
    """The evidence URL an entry carries (statement, response, press conference, joined post)."""
    evidence = detail.get("evidence") if isinstance(detail.get("evidence"), Mapping) else {}
    url = detail.get("url") or (evidence or {}).get("url")
    return url if isinstance(url, str) else None


def timeline_json(r: Responders, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Timeline rows for the API and the incident page, with names, Chinese labels and a note."""
    out: list[dict[str, Any]] = []
    for row in rows:
        detail = row["detail"] if isinstance(row["detail"], dict) else {}
        out.append(
            {
                "id": row["id"],
                "at": iso(row["at"]),
                "actor": row["actor"],
                "actor_name": person_name(r, row["actor"]),
                "kind": row["kind"],
                "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
                "note": describe(
                    row["kind"], detail, lambda p: person_name(r, p), lambda d: department_name(r, d)
                ),
                "url": entry_url(detail),
                "detail": detail,
            }
        )
    return out
