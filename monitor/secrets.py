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
    from monitor.config.sources import Source, SourceSpec


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
    reads_all: bool = False  # `also` is read even when `name` is set, so an unreadable file there counts


SMTP_HOST_ENV = "YUQING_SMTP_HOST"
PII_SALT_ENV = "YUQING_PII_SALT"
# a pushed 12345 source with both token_env and hmac_secret_env: what its one warning line adds
PUSH_EITHER = "either one is needed: pushes authenticate with a bearer token or an HMAC signature"
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


def _source_secrets(spec: SourceSpec, where: str) -> list[EnvReference]:
    """A source's own secrets. A pushed 12345 source with both a token and an HMAC secret needs only one of
    them: the intake accepts either (`check_auth`), but reads both, so an unreadable file still counts."""
    named = {key: getattr(spec, key, None) for key in ("cookie_env", "token_env", "hmac_secret_env")}
    token, hmac_secret = named["token_env"], named["hmac_secret_env"]
    if not (getattr(spec, "push", False) and token and hmac_secret):
        return [EnvReference(name, f"{where} {key}") for key, name in named.items() if name]
    needed_by = f"{where} token_env or hmac_secret_env"
    return [EnvReference(token, needed_by, also=(hmac_secret,), reads_all=True, unset_means=PUSH_EITHER)]


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
        refs.extend(_source_secrets(spec, where))
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
    """One line per referenced variable (or set of alternatives) that is not set (nor `NAME_FILE`), naming
    what needs it."""
    needs: dict[tuple[str, tuple[str, ...]], list[EnvReference]] = {}
    for ref in refs:
        needs.setdefault((ref.name, ref.also), []).append(ref)
    lines: list[str] = []
    for (name, also), group in sorted(needs.items()):
        ref = group[0]
        try:
            checks = (_is_set(n, env, ref.file_variant) for n in (name, *also))
            # with `reads_all` every one is checked, so an unreadable file is reported even after a set one
            if any(list(checks) if ref.reads_all else checks):
                continue
            either = "".join(f" or {n}" for n in also)
            files = " or ".join(f"{n}_FILE" for n in (name, *also))
            alt = f" (nor {files})" if ref.file_variant else ""
            problem = f"{name}{either} is not set{alt}"
            after = f"; {ref.unset_means}" if ref.unset_means else ""
        except SecretError as exc:  # a file that cannot be read: not a matter of being unset
            problem, after = str(exc), ""
        places = sorted({r.needed_by for r in group})
        more = f" and {len(places) - shown} more" if len(places) > shown else ""
        lines.append(f"{problem}: needed by {'; '.join(places[:shown])}{more}{after}")
    return lines
