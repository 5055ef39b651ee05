"""Timeline entries in Chinese for people: what kind of entry, a one-line note from its detail, and the
page's folding of repeated pages into one line (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from monitor.config.responders import Responders
from monitor.incidents.grades import GRADE_LABELS
from monitor.web.present import ACTION_LABELS, department_name, iso, person_name

KIND_LABELS: dict[str, str] = {
    **ACTION_LABELS,
    "opened": "立案",
    "graded": "定级",
    "regraded": "调整级别",
    "regraded_clocks": "级别调整（时限不变）",
    "post_joined": "新增帖文",
    "merged": "并单",
    "candidate_evidence": "发现疑似官方回应",
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
CHANNEL_LABELS: dict[str, str] = {
    "dingtalk": "钉钉",
    "wecom": "企业微信",
    "feishu": "飞书",
    "email": "邮件",
    "sms": "短信",
    "voice": "语音电话",
    "webhook": "Webhook",
    "alertmanager": "Alertmanager",
    "capture": "本地记录",
}
OUTCOME_LABELS: dict[str, str] = {
    "sent": "已送达",
    "retry": "发送失败，将重试",
    "failed": "发送失败，已放弃",
    "permanent": "发送失败（不可重试），改用备用渠道",
}
# Clock kinds for entries written before the label was stored with them.
CLOCK_KIND_LABELS: dict[str, str] = {
    "statement": "发布权威信息",
    "press_conference": "举行新闻发布会",
    "response": "回应关切",
    "hotline": "12345 工单时限",
    "ack": "确认接报（内部时限）",
}
EVIDENCE_VIA: dict[str, str] = {"one_click_link": "经一键确认链接"}
MAX_NOTE = 300
Person = Callable[[str], str | None]
Department = Callable[[str], str]


def target_name(target: str, person: Person, department: Department) -> str:
    """`person:zhujian.head` → 高磊; `channel:zhujian/group` → 住建局工作群."""
    kind, _, ref = target.partition(":")
    if kind == "person":
        return person(ref) or ref
    if kind == "channel":
        dept, _, _name = ref.partition("/")
        return f"{department(dept)}工作群"
    return target


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _part(detail: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of the detail (`route`, `evidence`), or an empty one."""
    value = detail.get(key)
    return value if isinstance(value, Mapping) else {}


def _reason_messages(reasons: object, grade: object = None) -> list[str]:
    """The grading reasons' messages; with `grade`, only those that set that grade (what decided it)."""
    if not isinstance(reasons, list):
        return []
    picked = [r for r in reasons if isinstance(r, Mapping) and (grade is None or r.get("grade") == grade)]
    return [m for r in picked if (m := _text(r.get("message")))]


def _clock_label(detail: Mapping[str, Any]) -> str:
    kind = _text(detail.get("clock_kind"))
    return _text(detail.get("clock_label")) or CLOCK_KIND_LABELS.get(kind, kind)


def _delivery(detail: Mapping[str, Any], person: Person) -> list[str]:
    """`钉钉 应急管理局/group（毛秀英）；已送达`: where one outbox row went, for whom, and how it ended."""
    channel, dest, target = (_text(detail.get(k)) for k in ("channel", "dest", "target"))
    where = " ".join(x for x in (CHANNEL_LABELS.get(channel, channel), dest) if x)
    who = target_name(target, person, str) if target.startswith("person:") else ""
    if who and who not in dest:
        where += f"（{who}）"
    outcome = _text(detail.get("outcome"))
    parts = [
        where,
        OUTCOME_LABELS.get(outcome, outcome) + (f"：{detail['error']}" if detail.get("error") else ""),
    ]
    attempt = detail.get("attempt")
    if isinstance(attempt, int) and attempt > 1:
        parts.append(f"第{attempt}次尝试")
    if detail.get("digest"):
        parts.append("与同批通知合并为一条消息")
    return parts


def _facts(kind: str, detail: Mapping[str, Any], person: Person, department: Department) -> list[str]:
    """What an entry of this kind says beyond its label, from its stored detail."""
    if kind == "opened":
        grade = detail.get("grade")
        lead = _text(_part(detail, "route").get("lead_name"))
        return [GRADE_LABELS.get(grade, "") if isinstance(grade, int) else "", f"主办 {lead}" if lead else ""]
    if kind in ("graded", "regraded") and detail.get("to_label"):
        change = f"{_text(detail.get('from_label'))} → {_text(detail['to_label'])}"
        return [change, "、".join(_reason_messages(detail.get("reasons"), detail.get("to")))]
    if kind in ("graded", "regraded") and detail.get("grade"):
        return [f"级别 {detail['grade']}"]
    if kind in ("clocks_started", "regraded_clocks", "clock_tightened") and isinstance(
        detail.get("clocks"), list
    ):
        return ["、".join(_text(c.get("label")) for c in detail["clocks"] if isinstance(c, Mapping))]
    if kind in ("clock_warning", "clock_breach", "target_missed", "breach_escalation"):
        return [_clock_label(detail)]
    if kind == "reassign" and detail.get("to"):
        return [f"{department(str(detail.get('from', '')))} → {department(str(detail['to']))}"]
    if kind == "add_support" and detail.get("department"):
        return [f"协办 {department(str(detail['department']))}"]
    if kind == "press_conference" and detail.get("place"):
        return [f"地点：{detail['place']}"]
    if kind == "notification":
        return _delivery(detail, person)
    if kind == "merged" and detail.get("order_no"):
        urgency = _text(detail.get("urgency"))
        order = f"12345 工单 {detail['order_no']}" + (f"（{urgency}）" if urgency else "")
        units = detail.get("units")
        sent = "派单：" + "、".join(map(str, units)) if isinstance(units, list) and units else ""
        unknown = detail.get("unknown_units")
        if isinstance(unknown, list) and unknown:
            sent += f"（{'、'.join(map(str, unknown))}不对应任何部门，可在部门的 aliases 中登记）"
        return [order, sent, _text(detail.get("excerpt"))]
    if kind in ("post_joined", "candidate_evidence"):
        by = _text(detail.get("author")) or _text(detail.get("source"))
        excerpt = _text(detail.get("excerpt"))
        hint = "可作为“发布权威信息”的证据" if detail.get("suggests") == "statement" else ""
        return [f"{by}：{excerpt}" if by and excerpt else by or excerpt, hint]
    via = EVIDENCE_VIA.get(_text(_part(detail, "evidence").get("via")), "")
    return [via] if via else []


def describe(kind: str, detail: Mapping[str, Any], person: Person, department: Department) -> str:
    """A short note for the entry, or '' when the label says it all."""
    evidence = _part(detail, "evidence")
    parts = _facts(kind, detail, person, department)
    # Free text people wrote (a reason for a reassignment, a statement's title, a note). The engine's own
    # `reason` values (opened, regrade) are codes, not prose: those kinds never show them.
    if kind not in ("escalation", "clocks_started", "regraded_clocks", "clock_tightened"):
        for key in ("reason", "text", "record", "note"):
            value = detail.get(key) or evidence.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
                break
    targets = detail.get("targets")
    if isinstance(targets, list) and targets:
        parts.append("通知 " + "、".join(target_name(str(t), person, department) for t in targets[:8]))
    note = "；".join(p for p in parts if p)
    return note[:MAX_NOTE]


def entry_url(detail: Mapping[str, Any]) -> str | None:
    """The evidence URL an entry carries (statement, response, press conference, joined post)."""
    url = detail.get("url") or _part(detail, "evidence").get("url")
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


FOLD_SECONDS = 5.0  # one escalation step pages its people, and their messages go out, within a second or two


def _fold_key(entry: Mapping[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """(what neighbours must share, the part that differs) for entries that can share a line: the pages of
    one escalation step (通知 沈静 / 通知 谭华) and their deliveries on one channel with one outcome."""
    note = str(entry.get("note") or "")
    actor = str(entry.get("actor") or "")
    if entry["kind"] == "escalation" and note.startswith("通知 "):
        return ("escalation", actor, "通知", ""), note.removeprefix("通知 ")
    if entry["kind"] == "notification":
        where, _, rest = note.partition("；")
        channel, _, dest = where.partition(" ")
        return ("notification", actor, channel, rest), dest
    return None


def _seconds_between(a: str, b: str) -> float:
    return abs((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds())


def folded_timeline(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The timeline as the incident page shows it (the API keeps every entry).

    Pages of one escalation step and their deliveries on one channel share a line (通知 沈静、谭华、汤芳), and
    a page or delivery line that says word for word what an earlier one said (a chain repeating while a clock
    is breached) is counted on that earlier line (`repeats`, `last_at`) instead of listed again."""
    merged: list[dict[str, Any]] = []
    keys: list[tuple[str, ...] | None] = []
    parts: list[list[str]] = []
    open_lines: dict[tuple[str, ...], int] = {}  # key → index of the line still taking entries
    for entry in entries:
        fold = _fold_key(entry)
        line = open_lines.get(fold[0]) if fold is not None else None
        if fold is not None and line is not None:
            if _seconds_between(merged[line]["at"], entry["at"]) <= FOLD_SECONDS:
                parts[line].append(fold[1])
                continue
        if fold is not None:
            open_lines[fold[0]] = len(merged)
        merged.append({**entry, "last_at": entry["at"], "repeats": 1})
        keys.append(fold[0] if fold else None)
        parts.append([fold[1]] if fold else [])
    out: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry, key, items in zip(merged, keys, parts, strict=True):
        if key is None:
            out.append(entry)
            continue
        names = list(dict.fromkeys(i for i in items if i))
        if len(items) > 1:
            _, _, channel, rest = key
            joined = f"{channel} {'、'.join(names)}".strip()
            entry["note"] = "；".join(x for x in (joined, rest) if x)[:MAX_NOTE]
        same = (*key, tuple(sorted(names)))  # who was paged, in whatever order this round paged them
        earlier = seen.get(same)
        if earlier is not None:
            earlier["repeats"] += 1
            earlier["last_at"] = entry["at"]
            continue
        seen[same] = entry
        out.append(entry)
    return out
