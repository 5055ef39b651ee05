"""The login form (a token for a session) and the one-click link confirmation page."""

from __future__ import annotations

from monitor.web.html import Html, render
from monitor.web.views.layout import flash


def login_form(csrf: str, next_path: str, error: str | None = None) -> Html:
    return render(
        '<section class="card login"><h1>登录舆情哨</h1>{flash}'
        '<form method="post" action="/login" autocomplete="off">'
        '<input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">'
        '<label>访问令牌<input type="password" name="token" required autocomplete="off"'
        ' placeholder="yq_…" spellcheck="false"></label>'
        '<button type="submit" class="primary">登录</button></form>'
        '<p class="hint">令牌由管理员使用 <code>yuqing token create --person 人员ID</code> 生成，'
        "仅显示一次。</p>"
        "</section>",
        flash=flash("error", error),
        csrf=csrf,
        next=next_path,
    )


def confirm_button(action_label: str) -> str:
    """`确认发布权威信息`, but `确认接报`, not `确认确认接报` (pure)."""
    return action_label if action_label.startswith("确认") else f"确认{action_label}"


def link_confirm_page(
    *, person: str, title: str, incident_id: int, action_label: str, post_url: str, note: str | None = None
) -> Html:
    """What a one-click link shows: a GET changes nothing; the button below performs the action."""
    return render(
        '<section class="card confirm"><h1>{action}</h1>'
        "<p>{person}，您将对以下事件执行“{action}”：</p>"
        '<p class="confirm-title"><a href="/incidents/{id}">#{id} {title}</a></p>{note}'
        '<form method="post" action="{url}">'
        '<button type="submit" class="primary">{button}</button></form>'
        '<p class="hint">本链接只能使用一次，并在过期后失效。</p></section>',
        action=action_label,
        button=confirm_button(action_label),
        person=person,
        id=incident_id,
        title=title,
        note=render('<p class="hint">{n}</p>', n=note) if note else Html(""),
        url=post_url,
    )


def link_done_page(*, title: str, incident_id: int, action_label: str, changed: bool) -> Html:
    message = "已记录。" if changed else "此前已记录，无需重复操作。"
    return render(
        '<section class="card confirm"><h1>{action}：{message}</h1>'
        '<p><a href="/incidents/{id}">#{id} {title}</a></p></section>',
        action=action_label,
        message=message,
        id=incident_id,
        title=title,
    )
