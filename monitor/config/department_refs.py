"""The references inside one department file (regions, channels, people, escalation targets), checked.

They are read from a validated `Department`, or from the raw YAML of a file that failed validation, so that
one pass of `yuqing check` lists a file's dangling references beside its schema errors. From a broken file
only the parts that validate on their own are read, and a part that cannot be read may be what a reference
means: a reference is reported only when it is wrong whatever the unreadable parts say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from monitor.config.departments import (
    PERSON_ID_PATTERN,
    TARGET_PREFIXES,
    Channel,
    Contact,
    Department,
    PersonRole,
)
from monitor.config.errors import ConfigProblem
from monitor.config.policy import GRADES
from monitor.config.regions import Region

_NEEDS_URL = {"dingtalk", "wecom", "feishu", "webhook", "alertmanager"}
_NEEDS_TO = {"email", "sms", "voice"}
_ROLES: frozenset[str] = frozenset(get_args(PersonRole))
_CHAINS = ("default", *GRADES)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class DepartmentRefs:
    """What a department file refers to, and what its references may resolve to; paths as in the file."""

    regions: tuple[tuple[str, str], ...]  # (path, region id)
    channels: tuple[tuple[str, Channel], ...]  # (name, channel) of the channels that are valid
    channel_names: frozenset[str] | None  # every channel's name; None when `channels` is unreadable
    contacts: tuple[tuple[str, Contact], ...]  # (path, contact) of the contacts that are valid
    person_ids: frozenset[str]
    person_ids_complete: bool  # False: some person's id is unreadable and may be any
    roles: frozenset[str]
    roles_complete: bool  # False: some person's role is unreadable and may be any
    targets: tuple[tuple[str, str], ...]  # (path, "person:…" / "role:…" / "channel:…")


def refs_of(d: Department) -> DepartmentRefs:
    """The references of a valid department: every part is readable."""
    return DepartmentRefs(
        regions=tuple((f"regions[{i}]", r) for i, r in enumerate(d.regions)),
        channels=tuple(d.channels.items()),
        channel_names=frozenset(d.channels),
        contacts=tuple(
            (f"people[{pi}].contacts[{ci}]", c)
            for pi, p in enumerate(d.people)
            for ci, c in enumerate(p.contacts)
        ),
        person_ids=frozenset(p.id for p in d.people),
        person_ids_complete=True,
        roles=frozenset(p.role for p in d.people),
        roles_complete=True,
        targets=tuple(
            (f"escalation.{chain}[{index}].notify[{ti}]", target)
            for chain, index, step in d.escalation.all_steps()
            for ti, target in enumerate(step.notify)
        ),
    )


def raw_refs(data: dict[str, Any]) -> DepartmentRefs:
    """The references still readable in the raw mapping of a department file that failed validation."""
    raw_channels = data.get("channels", {})
    channel_map: dict[Any, Any] | None = raw_channels if isinstance(raw_channels, dict) else None
    people = _items(data.get("people"))
    ids = [_person_id(p) for _, p in people]
    roles = [_role(p) for _, p in people]
    return DepartmentRefs(
        regions=tuple((f"regions[{i}]", r) for i, r in _items(data.get("regions")) if isinstance(r, str)),
        channels=tuple(
            (name, ch)
            for name, raw in (channel_map or {}).items()
            if isinstance(name, str) and (ch := _valid(Channel, raw)) is not None
        ),
        channel_names=None if channel_map is None else frozenset(str(n) for n in channel_map),
        contacts=tuple(
            (f"people[{pi}].contacts[{ci}]", c)
            for pi, p in people
            if isinstance(p, dict)
            for ci, raw in _items(p.get("contacts"))
            if (c := _valid(Contact, raw)) is not None
        ),
        person_ids=frozenset(i for i in ids if i is not None),
        person_ids_complete=isinstance(data.get("people"), list) and None not in ids,
        roles=frozenset(r for r in roles if r is not None),
        roles_complete=isinstance(data.get("people"), list) and None not in roles,
        targets=tuple(_raw_targets(data.get("escalation"))),
    )


def check_refs(refs: DepartmentRefs, file: str, regions: dict[str, Region]) -> list[ConfigProblem]:
    """Every reference that names nothing, and every channel or contact that cannot be delivered to."""
    problems: list[ConfigProblem] = []
    names = refs.channel_names
    for path, region in refs.regions:
        if regions and region not in regions:
            problems.append(ConfigProblem(file, path, f"unknown region {region!r}"))
    for name, ch in refs.channels:
        if ch.kind in _NEEDS_URL and not (ch.url_env or ch.base_url):
            problems.append(ConfigProblem(file, f"channels.{name}", f"{ch.kind} channel needs url_env"))
        if ch.kind in _NEEDS_TO and not ch.to:
            problems.append(ConfigProblem(file, f"channels.{name}", f"{ch.kind} channel needs `to`"))
        if ch.fallback is not None and names is not None and ch.fallback not in names:
            problems.append(
                ConfigProblem(file, f"channels.{name}.fallback", f"unknown channel {ch.fallback!r}")
            )
    for path, c in refs.contacts:
        if c.channel is not None and names is not None and c.channel not in names:
            problems.append(ConfigProblem(file, f"{path}.channel", f"unknown channel {c.channel!r}"))
        if c.channel is None and c.kind in _NEEDS_TO and not c.to:
            problems.append(ConfigProblem(file, path, f"{c.kind} contact needs `to`"))
        if c.channel is None and c.kind in _NEEDS_URL:
            problems.append(ConfigProblem(file, path, f"{c.kind} contact must name a `channel`"))
    for path, target in refs.targets:
        kind, _, ref = target.partition(":")
        if kind == "person" and ref not in refs.person_ids and refs.person_ids_complete:
            problems.append(ConfigProblem(file, path, f"unknown person {ref!r} in this department"))
        elif kind == "role" and ref not in refs.roles and (refs.roles_complete or ref not in _ROLES):
            problems.append(ConfigProblem(file, path, f"no person with role {ref!r} in this department"))
        elif kind == "channel" and names is not None and ref not in names:
            problems.append(ConfigProblem(file, path, f"unknown channel {ref!r}"))
    return problems


def _items(value: Any) -> list[tuple[int, Any]]:
    """A YAML list's items by position; nothing when it is not a list."""
    return list(enumerate(value)) if isinstance(value, list) else []


def _person_id(person: Any) -> str | None:
    """A raw person's id when it is one the schema accepts: another may be a misspelling of a reference."""
    pid = person.get("id") if isinstance(person, dict) else None
    return pid if isinstance(pid, str) and re.match(PERSON_ID_PATTERN, pid) else None


def _role(person: Any) -> str | None:
    """A raw person's role when it is one of the roles."""
    role = person.get("role") if isinstance(person, dict) else None
    return role if isinstance(role, str) and role in _ROLES else None


def _valid(model: type[M], raw: Any) -> M | None:
    """`raw` as `model`, or None when it does not validate (its own errors are reported already)."""
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _raw_targets(escalation: Any) -> Iterator[tuple[str, str]]:
    """The notify targets of every chain's steps that can be read, with a prefix the schema accepts."""
    if not isinstance(escalation, dict):
        return
    for chain in _CHAINS:
        for index, step in _items(escalation.get(chain)):
            notify = step.get("notify") if isinstance(step, dict) else None
            for ti, target in _items(notify):
                if isinstance(target, str) and target.startswith(TARGET_PREFIXES):
                    yield f"escalation.{chain}[{index}].notify[{ti}]", target
