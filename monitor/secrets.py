"""Reads secrets from the environment or from `<NAME>_FILE`, and lists the ones the configuration needs;
values never reach logs or errors."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: the config packages read no secrets
    from monitor.config.responders import Responders
    from monitor.config.sources import Source


class SecretError(RuntimeError):
    """A referenced secret is missing or unreadable (the message names the variable, never the value)."""


def read_secret(name: str, env: Mapping[str, str] | None = None, *, required: bool = False) -> str | None:
    """`NAME` from the environment, or the contents of the file named by `NAME_FILE`."""
    env = os.environ if env is None else env
    value = env.get(name)
    if value:
        return value
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"{name}_FILE points at an unreadable file: {exc.strerror}") from None
    if required:
        raise SecretError(f"secret {name} is not set (set {name} or {name}_FILE)")
    return None


@dataclass(frozen=True)
class EnvReference:
    """A variable the configuration needs at run time, and who needs it (for `yuqing check` and `run`)."""

    name: str
    needed_by: str
    also: tuple[str, ...] = ()  # other variables that serve instead (voice falls back to the SMS gateway)
    file_variant: bool = True  # `NAME_FILE` works too (read_secret)
    unset_means: str = ""  # what happens without it, when that is not simply a failure


SMTP_HOST_ENV = "YUQING_SMTP_HOST"
PII_SALT_ENV = "YUQING_PII_SALT"
GATEWAY_ENV = {"sms": "YUQING_SMS_GATEWAY", "voice": "YUQING_VOICE_GATEWAY"}  # + `_URL`, `_SECRET`


def _delivery_env(kind: str, needed_by: str) -> list[EnvReference]:
    """Variables a channel kind needs beyond its own `url_env`: gateways and the mail server."""
    sms_url = f"{GATEWAY_ENV['sms']}_URL"
    if kind == "sms":
        return [EnvReference(sms_url, needed_by)]
    if kind == "voice":
        return [EnvReference(f"{GATEWAY_ENV['voice']}_URL", needed_by, also=(sms_url,))]
    if kind == "email":
        default = "e-mail goes to an SMTP server at 127.0.0.1:25 (set it, even to 127.0.0.1, to confirm)"
        return [EnvReference(SMTP_HOST_ENV, needed_by, file_variant=False, unset_means=default)]
    return []


def referenced_env(
    responders: Responders, sources: Sequence[Source], sources_file: str = "sources.yaml"
) -> list[EnvReference]:
    """Every environment variable the responders' channels and contacts and the enabled sources need."""
    refs: list[EnvReference] = []
    for dept in responders.departments.values():
        where = f"department {dept.id} ({dept.display_name})"
        for name, ch in dept.channels.items():
            for key, env_name in (("url_env", ch.url_env), ("secret_env", ch.secret_env)):
                if env_name:
                    refs.append(EnvReference(env_name, f"{where} channels.{name}.{key}"))
            if not ch.url_env:
                refs.extend(_delivery_env(ch.kind, f"{where} channels.{name}"))
        kinds = sorted({c.kind for p in dept.people for c in p.contacts if c.channel is None})
        for kind in kinds:
            refs.extend(_delivery_env(kind, f"{where} {kind} contacts"))
    hotline = []
    for source in sources:
        spec = source.spec
        if not spec.enabled:
            continue
        where = f"{sources_file} source {spec.id}"
        if spec.auth is not None:
            refs.append(EnvReference(spec.auth.env, f"{where} auth.env"))
        for key in ("cookie_env", "token_env", "hmac_secret_env"):
            env_name = getattr(spec, key, None)
            if env_name:
                refs.append(EnvReference(env_name, f"{where} {key}"))
        if spec.kind == "hotline":
            hotline.append(spec.id)
    if hotline:  # 12345 callers' names and phones are stored only as salted hashes, pushed or polled
        refs.append(EnvReference(PII_SALT_ENV, f"{sources_file} 12345 source {', '.join(hotline)}"))
    return refs


def _is_set(name: str, env: Mapping[str, str], file_variant: bool) -> bool:
    if not file_variant:
        return bool(env.get(name, "").strip())
    return read_secret(name, env) is not None


def unset_env(refs: Sequence[EnvReference], env: Mapping[str, str], shown: int = 3) -> list[str]:
    """One line per referenced variable that is not set (nor `NAME_FILE`), naming what needs it."""
    needs: dict[str, list[EnvReference]] = {}
    for ref in refs:
        needs.setdefault(ref.name, []).append(ref)
    lines: list[str] = []
    for name, group in sorted(needs.items()):
        ref = group[0]
        try:
            if any(_is_set(n, env, ref.file_variant) for n in (name, *ref.also)):
                continue
            also = "".join(f" or {n}" for n in ref.also)
            alt = f" (nor {name}_FILE)" if ref.file_variant else ""
            problem = f"{name}{also} is not set{alt}"
        except SecretError as exc:
            problem = str(exc)
        places = sorted({r.needed_by for r in group})
        more = f" and {len(places) - shown} more" if len(places) > shown else ""
        after = f"; {ref.unset_means}" if ref.unset_means else ""
        lines.append(f"{problem}: needed by {'; '.join(places[:shown])}{more}{after}")
    return lines
