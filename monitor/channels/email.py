"""E-mail over SMTP (aiosmtplib): a text and an HTML part; 4xx replies retry, 5xx replies don't."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from monitor.channels.base import ChannelError, Destination, Notice, permanent, responsibility, transient
from monitor.channels.markdown import plain_text
from monitor.channels.text import clock_text, plain
from monitor.secrets import read_secret

MAX_BYTES = 1_000_000
PORT_ENV = "YUQING_SMTP_PORT"
TLS_ENV = "YUQING_SMTP_TLS"
TLS_MODES = ("none", "starttls", "tls")  # plain; STARTTLS after connecting (587); TLS from the start (465)


def parse_port(value: str) -> int:
    """YUQING_SMTP_PORT: a port number from 1 to 65535."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise ValueError(f"{PORT_ENV}: expected a port number from 1 to 65535 (default 25), got {value!r}")
    return int(text)


def parse_tls(value: str) -> str:
    """YUQING_SMTP_TLS: one of TLS_MODES, in any case."""
    mode = value.strip().lower()
    if mode not in TLS_MODES:
        accepted = ", ".join(TLS_MODES)
        raise ValueError(f"{TLS_ENV}: expected one of {accepted} (default none), got {value!r}")
    return mode


def smtp_env_problems(env: Mapping[str, str]) -> list[str]:
    """`NAME: what is wrong` for each set YUQING_SMTP_* setting that cannot be used; checked before start."""
    problems = []
    for name, parse in ((PORT_ENV, parse_port), (TLS_ENV, parse_tls)):
        if env.get(name, "").strip():
            try:
                parse(env[name])
            except ValueError as exc:
                problems.append(str(exc))
    return problems


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes out: YUQING_SMTP_HOST/PORT/USER/PASSWORD/FROM/TLS (none | starttls | tls)."""

    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    sender: str = "yuqing@localhost"
    tls: str = "none"
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Empty values (`YUQING_SMTP_HOST=` in an env file) mean the default, as unset ones do; a port or
        TLS mode that cannot be used is a ValueError naming it (`smtp_env_problems` finds them all first)."""

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        return cls(
            host=get("YUQING_SMTP_HOST", "127.0.0.1"),
            port=parse_port(get(PORT_ENV, "25")),
            username=env.get("YUQING_SMTP_USER") or None,
            password=read_secret("YUQING_SMTP_PASSWORD", env),
            sender=get("YUQING_SMTP_FROM", "yuqing@localhost"),
            tls=parse_tls(get(TLS_ENV, "none")),
        )


def build_message(notice: Notice, sender: str, to: str) -> EmailMessage:
    """A multipart/alternative message; post text is HTML-escaped in the HTML part."""
    msg = EmailMessage()
    grade = f"【{notice.grade_label}·{notice.colour}】" if notice.grade_label else ""
    msg["Subject"] = plain(f"{grade}{notice.headline} {notice.title}", 150)
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain="yuqing.local")
    msg["X-Yuqing-Idempotency-Key"] = notice.key
    msg.set_content(plain_text(notice))
    parts = [f"<h3>{html.escape(grade + notice.headline)}</h3>"]
    if notice.title:
        parts.append(f"<p><strong>{html.escape(plain(notice.title, 200))}</strong></p>")
    if notice.department:
        parts.append(f"<p>{html.escape(responsibility(notice))}</p>")
    parts.extend(f"<p>{html.escape(plain(line, 300))}</p>" for line in notice.lines)
    if notice.clocks:
        items = "".join(f"<li>{html.escape(clock_text(c))}</li>" for c in notice.clocks)
        parts.append(f"<ul>{items}</ul>")
    if notice.summary:
        parts.append(f"<p>摘要：{html.escape(plain(notice.summary, 1000))}</p>")
    for item in notice.items:
        parts.append(f"<p>- {html.escape(plain(item.title, 100))}：{html.escape(item.headline)}</p>")
    for lk in notice.links:
        parts.append(f'<p><a href="{html.escape(lk.url, quote=True)}">{html.escape(lk.label)}</a></p>')
    msg.add_alternative("<html><body>" + "".join(parts) + "</body></html>", subtype="html")
    return msg


class EmailChannel:
    """Sends through the configured SMTP server; the destination's `to` is the mailbox."""

    kind = "email"
    max_bytes = MAX_BYTES

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.to:
            raise permanent("e-mail address not configured", "config")
        s = self.settings
        message = build_message(notice, s.sender, dest.to)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.tls == "tls",
                start_tls=True if s.tls == "starttls" else False,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise _by_code(min(codes) if codes else 550, "recipient refused") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise permanent(f"smtp auth {exc.code}", "auth") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, exc.message[:200]) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise transient(f"smtp: {type(exc).__name__}") from None


def _by_code(code: int, message: str) -> ChannelError:
    """SMTP 4xx is temporary; 5xx is permanent."""
    if 400 <= code < 500:
        return transient(f"smtp {code}: {message}")
    return permanent(f"smtp {code}: {message}")
