"""Action forms on the incident page (one per allowed action) and turning a posted form into an API body."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from monitor.web.access import url_segment
from monitor.web.html import Html, join, render
from monitor.web.present import ACTION_LABELS
from monitor.web.views.layout import options

# Form fields per action: (name, label, input kind, required)
_FIELDS: dict[str, tuple[tuple[str, str, str, bool], ...]] = {
    "ack": (),
    "statement": (("url", "发布地址（网址）", "url", True), ("text", "发布内容摘要", "textarea", False)),
    "press_conference": (
        ("held_at", "召开时间", "datetime-local", True),
        ("place", "地点", "text", True),
        ("url", "发布会链接", "url", False),
        ("record", "发布会记录", "textarea", False),
    ),
    "respond": (("text", "回应内容", "textarea", False), ("url", "回应发布地址", "url", False)),
    "resolve": (("reason", "办结理由", "textarea", True),),
    "reassign": (("department", "改派给", "department", True), ("reason", "改派理由", "textarea", True)),
    "add_support": (("department", "加派部门", "department", True), ("reason", "加派理由", "textarea", True)),
    "note": (("text", "备注内容", "textarea", True),),
    "escalate_now": (("reason", "升级原因", "textarea", False),),
}
_HINTS: dict[str, str] = {
    "ack": "确认接报只停止本级的重复呼叫，不会停止法定时限。",
    "respond": "回应内容与回应地址至少填写一项。",
    "press_conference": "发布会链接与发布会记录至少填写一项。",
    "escalate_now": "立即通知下一级责任人。",
    "add_support": "该部门列为协办，并立即按其呼叫链通知；主办部门与时限不变。",
}


def _department_options(departments: list[tuple[str, str]], suggested: tuple[str, ...]) -> Html:
    """Every department; those routing named without paging them first, in the order it named them."""
    label = dict(departments)
    first = [(d, label[d]) for d in dict.fromkeys(suggested) if d in label]
    if not first:
        return options(departments, None)
    rest = [(d, name) for d, name in departments if d not in dict(first)]
    return render(
        '<optgroup label="路由提及（未通知）">{first}</optgroup><optgroup label="全部部门">{rest}</optgroup>',
        first=options(first, None),
        rest=options(rest, None),
    )


def _field(
    name: str,
    label: str,
    kind: str,
    required: bool,
    departments: list[tuple[str, str]],
    suggested: tuple[str, ...],
) -> Html:
    req = Html(" required") if required else Html("")
    if kind == "textarea":
        control = render('<textarea name="{n}" rows="3" maxlength="5000"{req}></textarea>', n=name, req=req)
    elif kind == "department":
        control = render(
            '<select name="{n}"{req}><option value="">请选择部门</option>{opts}</select>',
            n=name,
            req=req,
            opts=_department_options(departments, suggested),
        )
    else:
        extra = Html(' placeholder="https://"') if kind == "url" else Html("")
        control = render('<input type="{k}" name="{n}"{req}{extra}>', k=kind, n=name, req=req, extra=extra)
    return render("<label>{label}{control}</label>", label=label, control=control)


def action_form(
    action: str,
    incident_id: int,
    csrf: str,
    departments: list[tuple[str, str]],
    *,
    suggested: tuple[str, ...] = (),
    action_url: str | None = None,
) -> Html:
    """One action as a form posting to the console (CSRF-protected); ack is a single button. `suggested`:
    the departments routing named without paging them, offered first where a department is chosen."""
    label = ACTION_LABELS[action]
    url = action_url or f"/incidents/{incident_id}/actions/{url_segment(action)}"
    fields = join(_field(n, lab, k, req, departments, suggested) for n, lab, k, req in _FIELDS[action])
    hint = render('<p class="hint">{h}</p>', h=_HINTS[action]) if action in _HINTS else Html("")
    form = render(
        '<form method="post" action="{url}" class="action-form" data-action="{action}">'
        '<input type="hidden" name="_csrf" value="{csrf}">{hint}{fields}'
        '<button type="submit" class="primary">{label}</button></form>',
        url=url,
        action=action,
        csrf=csrf,
        hint=hint,
        fields=fields,
        label=label,
    )
    if not _FIELDS[action]:
        return render('<div class="action action-{a}">{form}</div>', a=action, form=form)
    return render(
        '<details class="action action-{a}"><summary>{label}</summary>{form}</details>',
        a=action,
        label=label,
        form=form,
    )


def actions_panel(
    actions: list[str],
    incident_id: int,
    csrf: str,
    departments: list[tuple[str, str]],
    suggested: tuple[str, ...] = (),
) -> Html:
    if not actions:
        return Html('<p class="muted">您对该事件没有可执行的操作（只读）。</p>')
    return join(action_form(a, incident_id, csrf, departments, suggested=suggested) for a in actions)


def zoned(value: str, zone: tzinfo) -> str:
    """A `datetime-local` value (a wall time, no offset) as ISO 8601 with `zone`'s UTC offset on that date
    (pure); a value with an offset of its own, or not a date and time, is left to the API's checks."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if when.tzinfo is not None or "T" not in value.upper():
        return value
    return when.replace(tzinfo=zone).isoformat()


def form_body(action: str, form: Mapping[str, str], zone: tzinfo) -> dict[str, Any]:
    """A posted form → the JSON body the API takes; a `datetime-local` time is a wall time in `zone`
    (the city's policy `timezone`)."""
    body: dict[str, Any] = {}
    for name, _label, kind, _required in _FIELDS[action]:
        value = (form.get(name) or "").strip()
        if not value:
            continue
        body[name] = zoned(value, zone) if kind == "datetime-local" else value
    return body
