"""Resolves a target (`person:<id>`, `channel:<dept>/<name>`) to its ordered routes, fallbacks last."""

from __future__ import annotations

from collections.abc import Mapping

from monitor.channels.base import Destination
from monitor.config.departments import Channel as ChannelConfig
from monitor.config.departments import Department
from monitor.config.responders import Responders
from monitor.secrets import SecretError, read_secret

# Group robots allow 20 messages a minute each (DingTalk: then throttled for 10 minutes).
DEFAULT_RATES = {"dingtalk": 20, "wecom": 20, "feishu": 100}
GATEWAY_ENV = {"sms": "YUQING_SMS_GATEWAY", "voice": "YUQING_VOICE_GATEWAY"}


def mask(address: str) -> str:
    """Phone numbers and mailboxes shortened for logs and the timeline."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    if len(address) > 7:
        return f"{address[:-8]}****{address[-4:]}"
    return address


def _secret(name: str | None, env: Mapping[str, str]) -> str | None:
    if not name:
        return None
    try:
        return read_secret(name, env)
    except SecretError:
        return None


def _channel(
    dept: Department, name: str, cfg: ChannelConfig, env: Mapping[str, str], person: str | None
) -> Destination:
    members = tuple(p.id for p in dept.people if any(c.channel == name for c in p.contacts)) or tuple(
        p.id for p in dept.people if p.role == "duty_officer"
    )
    return Destination(
        kind=cfg.kind,
        key=f"channel:{dept.id}/{name}",
        label=f"{dept.display_name}/{name}",
        to=cfg.to,
        url=_secret(cfg.url_env, env),
        secret=_secret(cfg.secret_env, env),
        base_url=cfg.base_url,
        rate_per_minute=cfg.rate_per_minute or DEFAULT_RATES.get(cfg.kind),
        person_id=person,
        members=members,
    )


def channel_routes(
    dept: Department, name: str, env: Mapping[str, str], person: str | None = None
) -> list[Destination]:
    """A group channel followed by its `fallback` chain (cycles cut)."""
    out: list[Destination] = []
    seen: set[str] = set()
    current: str | None = name
    while current and current not in seen and current in dept.channels:
        seen.add(current)
        cfg = dept.channels[current]
        out.append(_channel(dept, current, cfg, env, person))
        current = cfg.fallback
    return out


def person_routes(responders: Responders, person_id: str, env: Mapping[str, str]) -> list[Destination]:
    """The person's contacts in order; a contact through a group channel brings its fallbacks at the end."""
    hit = responders.people.get(person_id)
    if hit is None:
        return []
    dept, person = hit
    out: list[Destination] = []
    later: list[Destination] = []
    for contact in person.contacts:
        if contact.channel:
            chain = channel_routes(dept, contact.channel, env, person.id)
            out.extend(chain[:1])
            later.extend(chain[1:])
            continue
        if not contact.to:
            continue
        prefix = GATEWAY_ENV.get(contact.kind)
        if contact.kind == "voice" and not env.get(f"{prefix}_URL"):
            prefix = GATEWAY_ENV["sms"]  # one gateway for both, told apart by `type`
        url = env.get(f"{prefix}_URL") if prefix else None
        out.append(
            Destination(
                kind=contact.kind,
                key=f"{contact.kind}:{contact.to}",
                label=f"{person.name} {mask(contact.to)}",
                to=contact.to,
                url=url,
                secret=_secret(f"{prefix}_SECRET", env) if prefix else None,
                person_id=person.id,
                members=(person.id,),
            )
        )
    seen: set[str] = set()
    unique = []
    for d in out + later:
        if d.key not in seen:
            seen.add(d.key)
            unique.append(d)
    return unique


def resolve(responders: Responders, target: str, env: Mapping[str, str]) -> list[Destination]:
    """Routes for a target, from the current config (contact details may change after the freeze)."""
    kind, _, ref = target.partition(":")
    if kind == "person":
        return person_routes(responders, ref, env)
    if kind == "channel":
        dept_id, _, name = ref.partition("/")
        dept = responders.departments.get(dept_id)
        return channel_routes(dept, name, env) if dept else []
    return []
