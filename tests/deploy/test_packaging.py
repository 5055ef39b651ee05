"""Static checks of the Compose file, Dockerfile, env example and systemd units (no Docker engine here)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.conftest import DEPLOY, ROOT, need

SECRETISH = re.compile(r"(PASSWORD|SECRET|TOKEN|COOKIE|KEY|DATABASE_URL)", re.I)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def _env_items(service: dict[str, Any]) -> list[tuple[str, str]]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return [tuple(e.split("=", 1)) if "=" in e else (e, "") for e in env]  # type: ignore[misc]
    return [(k, "" if v is None else str(v)) for k, v in env.items()]


def test_compose_has_the_service_database_prometheus_and_grafana() -> None:
    services = _compose()["services"]
    assert {"yuqing", "postgres", "prometheus", "grafana"} <= set(services)
    assert "alertmanager" in services and services["alertmanager"]["profiles"] == ["alerting"]
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        assert "healthcheck" in svc and svc["healthcheck"]["test"], f"{name} has no health check"
        assert svc.get("restart") == "unless-stopped", name


def test_compose_builds_the_service_from_the_dockerfile_and_waits_for_postgres() -> None:
    services = _compose()["services"]
    for name in ("yuqing", "worker"):
        svc = services[name]
        assert svc["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(svc["healthcheck"]["test"])
        assert svc["command"][:3] == ["run", "--role", "all" if name == "yuqing" else "worker"]
        assert "0.0.0.0:8080" in svc["command"]
        assert (DEPLOY / svc["build"]["dockerfile"].removeprefix("deploy/")).exists()
    # published ports are on loopback only: a reverse proxy terminates HTTPS in front
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_compose_keeps_data_in_named_volumes() -> None:
    compose = _compose()
    volumes = set(compose["volumes"])
    assert {"pgdata", "prometheus-data", "grafana-data"} <= volumes
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    for name, svc in compose["services"].items():
        for mount in svc.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).resolve().exists(), f"{name}: {source} does not exist"
            else:
                assert source in volumes, f"{name}: undeclared volume {source}"


def test_compose_takes_secrets_from_the_env_file_only() -> None:
    compose = _compose()
    example = (DEPLOY / "yuqing.env.example").read_text(encoding="utf-8")
    keys = {
        line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")
    }
    assert {"POSTGRES_PASSWORD", "DATABASE_URL", "GF_SECURITY_ADMIN_PASSWORD", "GRAFANA_PG_PASSWORD"} <= keys
    for name in ("yuqing", "postgres", "grafana"):
        assert compose["services"][name]["env_file"] == ["yuqing.env"], name
    for name, svc in compose["services"].items():
        for key, value in _env_items(svc):
            if SECRETISH.search(key):
                assert not value or value.startswith("${"), f"{name}: inline secret {key}"
    raw = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9]{6,}", raw)
    # every secret in the example is a placeholder, and the real env file is never committed
    for line in example.splitlines():
        if "=" in line and not line.startswith("#") and SECRETISH.search(line.split("=", 1)[0]):
            assert "CHANGE-ME" in line or line.endswith("="), line
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/yuqing.env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, "deploy/yuqing.env must be git-ignored"


def test_docker_compose_config_when_a_compose_cli_exists(tmp_path: Path) -> None:
    """`docker compose config` validates against the real schema where the plugin exists (not on CI here)."""
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode != 0
    ):
        return  # the structural checks above stand in for it
    env = DEPLOY / "yuqing.env"
    created = not env.exists()
    if created:
        env.write_text((DEPLOY / "yuqing.env.example").read_text(encoding="utf-8"))
    try:
        result = subprocess.run(
            [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    finally:
        if created:
            env.unlink()


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_a_non_root_user_with_a_health_check() -> None:
    steps = _dockerfile()
    froms = [args for op, args in steps if op == "FROM"]
    assert froms and all(f.startswith("python:3.11-slim") for f in froms)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    users = [args for op, args in final if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the final stage must drop root"
    health = [args for op, args in final if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0] and "CMD" in health[0]
    entry = " ".join(args for op, args in final if op in ("ENTRYPOINT", "CMD"))
    assert '"yuqing"' in entry and '"run"' in entry and '"0.0.0.0:8080"' in entry
    assert [args for op, args in final if op == "EXPOSE"] == ["8080"]


def test_dockerfile_has_no_secrets_and_copies_only_what_exists() -> None:
    steps = _dockerfile()
    for op, args in steps:
        assert op in {
            "FROM",
            "ENV",
            "WORKDIR",
            "COPY",
            "RUN",
            "LABEL",
            "USER",
            "EXPOSE",
            "HEALTHCHECK",
            "ENTRYPOINT",
            "CMD",
            "ARG",
        }, op
        if op in ("ENV", "ARG", "LABEL"):
            assert not SECRETISH.search(args), f"{op} {args}"
        if op == "COPY" and "--from=" not in args:
            for src in shlex.split(args)[:-1]:
                if not src.startswith("--"):
                    assert (ROOT / src).exists(), src
        assert op != "ADD", "use COPY"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "**" in ignore.splitlines(), "the build context starts from nothing and re-includes what it needs"


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = {}
            continue
        key, sep, value = line.partition("=")
        assert sep and current, f"{path.name}: not a key=value line in a section: {line}"
        sections[current].setdefault(key, []).append(value)
    return sections


def test_systemd_units_are_hardened_and_take_secrets_from_an_environment_file() -> None:
    for name in ("yuqing.service", "yuqing-worker@.service"):
        unit = _unit(DEPLOY / "systemd" / name)
        assert {"Unit", "Service", "Install"} <= set(unit)
        service = unit["Service"]
        assert service["User"] == ["yuqing"]
        assert service["EnvironmentFile"] == ["/etc/yuqing/yuqing.env"]
        assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
        assert "yuqing run --role" in service["ExecStart"][0]
        assert not any(SECRETISH.search(e) for e in service.get("Environment", []))
        assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    worker = _unit(DEPLOY / "systemd" / "yuqing-worker@.service")["Service"]["ExecStart"][0]
    assert "--role worker" in worker and "%i" in worker


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    tool = need("systemd-analyze")
    unit = tmp_path / "yuqing.service"
    unit.write_text((DEPLOY / "systemd" / "yuqing.service").read_text(encoding="utf-8"))
    worker = tmp_path / "yuqing-worker@2.service"
    worker.write_text((DEPLOY / "systemd" / "yuqing-worker@.service").read_text(encoding="utf-8"))
    for path in (unit, worker):
        result = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, check=False)
        # The virtualenv is not installed at /opt/yuqing on a test machine; anything else is an error.
        problems = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and "/opt/yuqing/bin/yuqing is not executable" not in line
        ]
        assert not problems, "\n".join(problems)
