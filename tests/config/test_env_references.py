"""The environment variables the configuration refers to: listed by one pure function, warned about by
`yuqing check`, and exactly what deploy/yuqing.env.example lists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config.responders import Responders, load_responders
from monitor.config.sources import Source, load_sources
from monitor.secrets import GATEWAY_ENV, EnvReference, referenced_env, unset_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "yuqing.env.example"
# Variables of the containers next to the service (deploy/docker-compose.yml), not of the service itself.
COMPOSE_ONLY = re.compile(r"^(POSTGRES_|GF_|GRAFANA_PG_)[A-Z_]+$")


@pytest.fixture(scope="module")
def shipped() -> tuple[Responders, list[Source]]:
    responders = load_responders(ROOT / "responders")
    return responders, load_sources(ROOT / "sources.yaml", known_regions=responders.regions)


def names(refs: list[EnvReference]) -> set[str]:
    """Every variable referred to, alternatives included (a push source's token or HMAC secret)."""
    return {n for r in refs for n in (r.name, *r.also)}


def test_every_kind_of_reference_in_the_shipped_configuration(
    shipped: tuple[Responders, list[Source]],
) -> None:
    refs = referenced_env(*shipped)
    found = names(refs)
    robots = {n for n in found if n.startswith("YQ_") and n.endswith("_URL")}
    assert len(robots) == 17 and "YQ_SHUIWU_WECOM_URL" in robots
    assert {"YQ_YINGJI_DINGTALK_SECRET", "YQ_ZIRAN_FEISHU_SECRET"} <= found  # secret_env
    assert {"WEIBO_COOKIE", "HOTLINE_EXPORT_TOKEN", "HOTLINE_PUSH_TOKEN", "HOTLINE_PUSH_HMAC_SECRET"} <= found
    assert {"YUQING_PII_SALT", "YUQING_SMS_GATEWAY_URL", "YUQING_SMTP_HOST"} <= found
    shuiwu = [r for r in refs if r.name == "YQ_SHUIWU_WECOM_URL"]
    assert [r.needed_by for r in shuiwu] == ["department shuiwu (水务局) channels.group.url_env"]
    salt = next(r for r in refs if r.name == "YUQING_PII_SALT")
    assert "hotline-push" in salt.needed_by


def test_disabled_sources_and_sourceless_configs_need_nothing_from_sources(
    shipped: tuple[Responders, list[Source]],
) -> None:
    responders, sources = shipped
    off = [s.model_copy(update={"spec": s.spec.model_copy(update={"enabled": False})}) for s in sources]
    found = names(referenced_env(responders, off))
    assert not found & {"WEIBO_COOKIE", "HOTLINE_PUSH_TOKEN", "YUQING_PII_SALT"}


def test_unset_means_neither_the_variable_nor_its_file(tmp_path: Path) -> None:
    refs = [
        EnvReference("YQ_A_URL", "department a channels.group.url_env"),
        EnvReference("YQ_A_URL", "department b channels.group.url_env"),
        EnvReference("YQ_B_URL", "department b channels.group.url_env"),
        EnvReference("YQ_C_SECRET", "department c channels.group.secret_env"),
        EnvReference("YQ_D_TOKEN", "sources.yaml source d token_env"),
        EnvReference(
            "YUQING_VOICE_GATEWAY_URL", "department e voice contacts", also=("YUQING_SMS_GATEWAY_URL",)
        ),
        EnvReference("YUQING_SMTP_HOST", "department f email contacts", file_variant=False, unset_means="x"),
    ]
    secret = tmp_path / "b-url"
    secret.write_text("https://oapi.dingtalk.com/robot/send?access_token=tok-7f3a\n", encoding="utf-8")
    env = {
        "YQ_B_URL_FILE": str(secret),
        "YQ_C_SECRET": "",  # empty is unset (an env file's `NAME=`)
        "YQ_D_TOKEN_FILE": str(tmp_path / "missing"),
        "YUQING_SMS_GATEWAY_URL": "https://sms.example/send",
        "YUQING_SMTP_HOST_FILE": str(secret),  # not read for settings that are no secrets
    }
    lines = unset_env(refs, env)
    assert lines == [
        "YQ_A_URL is not set (nor YQ_A_URL_FILE): needed by department a channels.group.url_env; "
        "department b channels.group.url_env",
        "YQ_C_SECRET is not set (nor YQ_C_SECRET_FILE): needed by department c channels.group.secret_env",
        "YQ_D_TOKEN_FILE points at an unreadable file: No such file or directory: "
        "needed by sources.yaml source d token_env",
        "YUQING_SMTP_HOST is not set: needed by department f email contacts; x",
    ]
    assert "tok-7f3a" not in "\n".join(lines)


def example_names() -> set[str]:
    """Every NAME in `NAME=…` and `# NAME=…` lines (commented ones are optional settings)."""
    out = set()
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        hit = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if hit:
            out.add(hit.group(1))
    return out


def service_settings() -> set[str]:
    """The service's own variables: every `YUQING_…` name its code spells out, plus the gateways'."""
    spelled = set()
    for path in (ROOT / "monitor").rglob("*.py"):
        spelled |= set(re.findall(r"\bYUQING_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    gateways = {f"{prefix}_{part}" for prefix in GATEWAY_ENV.values() for part in ("URL", "SECRET")}
    return spelled | gateways | {"DATABASE_URL"}


def test_the_env_example_lists_exactly_what_the_shipped_configuration_refers_to(
    shipped: tuple[Responders, list[Source]],
) -> None:
    listed = example_names()
    referenced = names(referenced_env(*shipped))
    assert referenced - listed == set(), "referenced by responders/ or sources.yaml but not in the example"
    strays = {n for n in listed - referenced if not COMPOSE_ONLY.match(n)} - service_settings()
    assert strays == set(), "in the example but read by nothing"
    assert {"YUQING_PUBLIC_URL", "YUQING_LINK_SECRET", "YUQING_SMTP_PORT", "YUQING_SMTP_TLS"} <= listed


def _check(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YQ_", "YUQING_", "HOTLINE_", "WEIBO_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--sources", str(ROOT / "sources.yaml"),
         "--responders", str(ROOT / "responders")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_yuqing_check_warns_about_every_unset_variable_with_what_needs_it(tmp_path: Path) -> None:
    done = _check({})
    assert done.returncode == 0, done.stderr
    assert "configuration OK" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert (
        "warning: YQ_SHUIWU_WECOM_URL is not set (nor YQ_SHUIWU_WECOM_URL_FILE): "
        "needed by department shuiwu (水务局) channels.group.url_env" in warnings
    )
    for name in ("YQ_YINGJI_DINGTALK_SECRET", "WEIBO_COOKIE", "YUQING_PII_SALT"):
        assert any(line.startswith(f"warning: {name} is not set") for line in warnings), name
    push = [line for line in warnings if "HOTLINE_PUSH_" in line]  # token or HMAC secret: one line for both
    assert len(push) == 1 and push[0].startswith(
        "warning: HOTLINE_PUSH_TOKEN or HOTLINE_PUSH_HMAC_SECRET is not set"
    ), push
    assert warnings[-1].startswith("warning: 34 environment variable(s)")

    url = tmp_path / "url"
    url.write_text("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", encoding="utf-8")
    done = _check({"YQ_SHUIWU_WECOM_URL_FILE": str(url), "YUQING_PII_SALT": "x" * 32})
    assert done.returncode == 0
    assert "YQ_SHUIWU_WECOM_URL" not in done.stderr and "YUQING_PII_SALT" not in done.stderr
    assert "warning: 32 environment variable(s)" in done.stderr


def test_yuqing_check_notes_the_hazards_no_department_leads() -> None:
    done = _check({})
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("note: ")]
    # the example city gives every other 险情 of the hazard table to a department (交通事故 to 公安局 …)
    assert notes == [
        "note: 险情 with no lead department: 中毒、群体性事件 (list a 险情 in a department's keywords to "
        "make it lead those emergencies); their incidents go where their topic and keywords point"
    ]
