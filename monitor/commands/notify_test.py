"""`yuqing notify-test`: send a test notice to every route the service would page, through the real channels,
and say per route whether it arrived (`--dry-run`: list the routes and the variables they need)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from monitor.channels.base import ChannelError, Destination, Notice, permanent, transient
from monitor.channels.registry import ChannelSet, build_channels
from monitor.clock import Clock, SystemClock
from monitor.commands.check import environment_problems
from monitor.config.departments import Department
from monitor.config.errors import ConfigError, print_problems
from monitor.config.responders import Responders, load_responders
from monitor.outbox.routes import resolve
from monitor.secrets import GATEWAY_ENV, SMTP_HOST_ENV, SecretError, read_secret

COMMAND = "yuqing notify-test"
SEND_TIMEOUT = 30.0  # per send, on top of the channels' own request timeouts (10 s HTTP, 20 s SMTP)
CONCURRENCY = 4  # sends at once: a city's whole responders/ is a few hundred routes, one message each
UNSENT_KINDS = ("capture",)  # keeps messages in the service's database: nothing outside to reach
ROBOTS = ("dingtalk", "wecom", "feishu")


@dataclass(frozen=True)
class Route:
    """One destination to test: the department and route that first reach it, and others that share it."""

    department: str
    via: str  # `channel group (wecom)` or `person 姜杰 (shuiwu.duty) sms`
    dest: Destination
    also: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """The destination as printed: its masked label, never its URL or secret."""
        return self.dest.label or self.dest.key


def unknown_departments(responders: Responders, wanted: Sequence[str]) -> list[str]:
    """The `--department` ids responders/ does not have, in the order given."""
    return [d for d in dict.fromkeys(wanted) if d not in responders.departments]


def list_routes(responders: Responders, wanted: Sequence[str], env: Mapping[str, str]) -> list[Route]:
    """Every destination the selected departments (all when none) page, resolved as the sender resolves
    them: each group channel, then each person's contacts; one Route per destination `key`."""
    depts = [responders.departments[d] for d in dict.fromkeys(wanted)] or list(
        responders.departments.values()
    )
    found: dict[str, Route] = {}
    for dept in depts:
        candidates: list[tuple[str, Destination]] = []
        for name in dept.channels:  # the head of the chain: its fallbacks are channels listed here too
            dest = resolve(responders, f"channel:{dept.id}/{name}", env)[0]
            candidates.append((f"channel {name} ({dest.kind})", dest))
        for person in dept.people:
            own = {f"channel:{dept.id}/{c.channel}" for c in person.contacts if c.channel}
            for dest in resolve(responders, f"person:{person.id}", env):
                if dest.key.startswith("channel:") and dest.key not in own:
                    continue  # a fallback of the person's group channel: listed as that department's channel
                candidates.append((f"person {person.name} ({person.id}) {dest.kind}", dest))
        for via, dest in candidates:
            first = found.get(dest.key)
            if first is None:
                found[dest.key] = Route(dept.id, via, dest)
            elif via != first.via:
                other = via if dept.id == first.department else f"{dept.id} {via}"
                if other not in first.also:
                    found[dest.key] = replace(first, also=(*first.also, other))
    return list(found.values())


def to_send(routes: Sequence[Route]) -> list[Route]:
    """The routes a test message goes to (not the capture channel)."""
    return [r for r in routes if r.dest.kind not in UNSENT_KINDS]


def notice_for(dept: Department, dest: Destination, now: datetime, zone: str) -> Notice:
    """The short test message; the time is the city's, so a recipient sees when it was sent."""
    when = now.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    return Notice(
        key=f"notify-test:{int(now.timestamp() * 1000)}:{dest.key}",
        event="test",
        headline="【舆情哨】测试消息",
        title=f"这是 {dept.name} 的通道测试，无需处理。（{when}）",
        severity="info",
        lines=("收到本消息说明该通道配置正确。",),
    )


def secret_parts(dest: Destination) -> list[str]:
    """What of a destination must never be printed: its secret, its URL and the URL's tokens (the query
    values and the last path segment: DingTalk's access_token, WeCom's key, Feishu's hook token)."""
    parts = [dest.url or "", dest.secret or ""]
    if dest.url:
        url = urlsplit(dest.url)
        parts += [value for _, value in parse_qsl(url.query)] + [url.path.rsplit("/", 1)[-1]]
    return sorted((p for p in parts if len(p) >= 6), key=len, reverse=True)


def redact(text: str, dest: Destination) -> str:
    """A reason with the destination's secrets cut out, should a vendor or library ever echo them back."""
    for value in secret_parts(dest):
        text = text.replace(value, "***")
    return text


def advice(dest: Destination, error: ChannelError, env: Mapping[str, str]) -> str:
    """What an installer checks next, for the failures that say little by themselves."""
    if error.kind == "auth" and dest.kind in ROBOTS:
        sign = f", the signing secret {dest.secret_env}" if dest.secret_env else ""
        return f" (check the robot's security settings: a keyword such as 舆情哨{sign}, the IP allowlist)"
    if dest.kind == "email" and not env.get(SMTP_HOST_ENV, "").strip():
        return f" ({SMTP_HOST_ENV} is not set: mail went to 127.0.0.1:25)"
    return ""


def outcome(route: Route, error: ChannelError | None, env: Mapping[str, str]) -> str:
    """`OK`, or `FAILED <kind>: <reason>` with the secrets taken out."""
    if error is None:
        return "OK"
    return redact(f"FAILED {error.kind}: {error.reason}{advice(route.dest, error, env)}", route.dest)


def line(route: Route, status: str) -> str:
    """One output line: department | route | destination | status."""
    via = route.via + "".join(f"; also {other}" for other in route.also)
    return f"{route.department} | {via} | {route.shown} | {status}"


def needed_env(dest: Destination) -> list[tuple[str, bool]]:
    """The variables a destination uses, each with whether it is required: the URL, the signing secret
    (the gateways' is optional: without it they get unsigned requests), the SMTP server for e-mail."""
    names = [(dest.url_env, True), (dest.secret_env, dest.kind not in GATEWAY_ENV)]
    if dest.kind == "email":
        names.append((SMTP_HOST_ENV, True))
    return [(name, required) for name, required in names if name]


def env_set(name: str, env: Mapping[str, str]) -> bool | None:
    """Whether a variable is set (None: its _FILE cannot be read); never its value."""
    if name == SMTP_HOST_ENV:  # read plainly, without a _FILE variant (SmtpSettings.from_env)
        return bool(env.get(name, "").strip())
    try:
        return read_secret(name, env) is not None
    except SecretError:
        return None


def dry_run_status(route: Route, env: Mapping[str, str]) -> str:
    """What `--dry-run` prints in place of the outcome: the variables and whether each is set."""
    if route.dest.kind in UNSENT_KINDS:
        return "not sent: the capture channel keeps messages in the service's database"
    names = needed_env(route.dest)
    if not names:
        return "needs no environment variable"
    words = {True: "set", False: "not set", None: "its _FILE cannot be read"}
    shown = [f"{n} ({words[env_set(n, env)]}{'' if req else ', optional'})" for n, req in names]
    return "needs " + ", ".join(shown)


def dry_run_summary(routes: Sequence[Route], env: Mapping[str, str]) -> str:
    """The last line of `--dry-run`."""
    unset = [r for r in routes if any(req and env_set(n, env) is not True for n, req in needed_env(r.dest))]
    return f"{len(routes)} routes, {len(unset)} of them missing a variable; nothing sent (--dry-run)"


def summary(delivered: int, total: int) -> str:
    """The last line."""
    return f"{delivered} of {total} routes delivered"


def exit_status(errors: Sequence[ChannelError | None]) -> int:
    """0 when there was something to test and every route delivered, else 1."""
    return 0 if errors and all(e is None for e in errors) else 1


async def _send_one(
    channels: ChannelSet, notice: Notice, dest: Destination, semaphore: asyncio.Semaphore, limit_s: float
) -> ChannelError | None:
    channel = channels.get(dest.kind)
    if channel is None:
        return permanent(f"no channel implementation for {dest.kind!r}", "config")
    async with semaphore:
        try:
            await asyncio.wait_for(channel.send(notice, dest), limit_s)
        except ChannelError as exc:
            return exc
        except TimeoutError:
            return transient(f"no answer within {limit_s:g} s")
        except Exception as exc:  # a bug in one channel must not stop the test of the others
            return transient(f"unexpected {type(exc).__name__}")
    return None


async def send_all(
    routes: Sequence[Route],
    notices: Sequence[Notice],
    channels: ChannelSet,
    env: Mapping[str, str],
    out: TextIO,
    *,
    send_timeout: float = SEND_TIMEOUT,
    concurrency: int = CONCURRENCY,
) -> list[ChannelError | None]:
    """Send each route its notice, a few at once, printing each route's line in order as it is known."""
    semaphore = asyncio.Semaphore(concurrency)
    tasks = [
        asyncio.create_task(_send_one(channels, n, r.dest, semaphore, send_timeout))
        for r, n in zip(routes, notices, strict=True)
    ]
    errors: list[ChannelError | None] = []
    for route, task in zip(routes, tasks, strict=True):
        error = await task
        print(line(route, outcome(route, error, env)), file=out, flush=True)
        errors.append(error)
    return errors


async def notify(
    responders: Responders, routes: Sequence[Route], env: Mapping[str, str], clock: Clock
) -> int:
    """Send the test notices through the real vendor channels; print the lines and the summary."""
    now = clock.now()
    zone = responders.policy.timezone
    notices = [notice_for(responders.departments[r.department], r.dest, now, zone) for r in routes]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=10)) as session:
        try:
            channels = build_channels(session, clock, env)  # no pool: nothing here writes to the database
        except (ValueError, SecretError) as exc:  # a YUQING_WEBHOOK_TEMPLATE that is not JSON or unreadable
            print(f"{COMMAND}: cannot set up the channels: {exc}", file=sys.stderr)
            return 1
        errors = await send_all(routes, notices, channels, env, sys.stdout)
    print(summary(sum(e is None for e in errors), len(errors)), flush=True)
    return exit_status(errors)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "notify-test",
        help="send a test notice to every route (group robots, mail, SMS, …) and say which ones failed",
    )
    p.add_argument(
        "--department",
        action="append",
        default=[],
        metavar="ID",
        help="only this department (repeat for more; default: every department in responders/)",
    )
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument(
        "--dry-run", action="store_true", help="list the routes and the variables they need; send nothing"
    )
    p.set_defaults(_parser=p)


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    try:
        responders: Responders | None = load_responders(args.responders)
        problems = []
    except ConfigError as err:
        responders, problems = None, err.problems
    problems += environment_problems(env)
    if problems or responders is None:
        return print_problems(COMMAND, ConfigError(problems), sys.stderr)
    unknown = unknown_departments(responders, args.department)
    if unknown:
        known = ", ".join(sorted(responders.departments))
        args._parser.print_usage(sys.stderr)
        names = ", ".join(repr(d) for d in unknown)
        print(f"{COMMAND}: error: unknown department {names} (known: {known})", file=sys.stderr)
        return 2
    routes = list_routes(responders, args.department, env)
    if args.dry_run:
        for route in routes:
            print(line(route, dry_run_status(route, env)))
        print(dry_run_summary(to_send(routes), env))
        return 0
    if env.get("YUQING_NOTIFY", "").strip().lower() == "capture":
        print(f"{COMMAND}: note: YUQING_NOTIFY=capture is set, so the service sends nothing to these routes",
              file=sys.stderr)  # fmt: skip
    for route in routes:
        if route.dest.kind in UNSENT_KINDS:
            print(line(route, dry_run_status(route, env)))
    sending = to_send(routes)
    if not sending:
        print(f"{COMMAND}: no routes to test", file=sys.stderr)
        return 1
    return asyncio.run(notify(responders, sending, env, SystemClock()))
