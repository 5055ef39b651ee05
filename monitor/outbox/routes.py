"""Resolves a target (`person:<id>`, `channel:<dept>/<name>`) to its ordered routes, fallbacks last."""

from __future__ import annotations

from collections.abc import Mapping

from monitor.channels.base import Destination
from monitor.config.departments import Channel as ChannelConfig
from monitor.config.departments import Department
from monitor.config.responders import Responders
from monitor.secrets import GATEWAY_ENV, SecretError, read_secret

# Group robots allow 20 messages a minute each (DingTalk: then throttled for 10 minutes).
DEFAULT_RATES = {"dingtalk": 20, "wecom": 20, "feishu": 100}


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


def _gateway(kind: str, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The URL and secret variables of the SMS/voice gateway (voice falls back to the SMS one)."""
    prefix = GATEWAY_ENV.get(kind)
    if prefix is None:
        return None, None
    if kind == "voice" and not (env.get(f"{prefix}_URL") or env.get(f"{prefix}_URL_FILE")):
        prefix = GATEWAY_ENV["sms"]  # one gateway for both, told apart by `type`
    return f"{prefix}_URL", f"{prefix}_SECRET"


def _channel(
    dept: Department, name: str, cfg: ChannelConfig, env: Mapping[str, str], person: str | None
) -> Destination:
    members = tuple(p.id for p in dept.people if any(c.channel == name for c in p.contacts)) or tuple(
        p.id for p in dept.people if p.role == "duty_officer"
    )
    url_env, secret_env = cfg.url_env, cfg.secret_env
    if not url_env and cfg.kind in GATEWAY_ENV:  # an SMS/voice group (`to`) goes through the gateway
        url_env, secret_env = _gateway(cfg.kind, env)
    return Destination(
        kind=cfg.kind,
        key=f"channel:{dept.id}/{name}",
        label=f"{dept.display_name}/{name}",
        to=cfg.to,
        url=_secret(url_env, env),
        secret=_secret(secret_env, env),
        base_url=cfg.base_url,
        rate_per_minute=cfg.rate_per_minute or DEFAULT_RATES.get(cfg.kind),
        person_id=person,
        members=members,
        url_env=url_env,
        secret_env=secret_env,
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
        url_env, secret_env = _gateway(contact.kind, env)
        out.append(
            Destination(
                kind=contact.kind,
                key=f"{contact.kind}:{contact.to}",
                label=f"{person.name} {mask(contact.to)}",
                to=contact.to,
                url=_secret(url_env, env),
                secret=_secret(secret_env, env),
                person_id=person.id,
                members=(person.id,),
                url_env=url_env,
                secret_env=secret_env,
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
