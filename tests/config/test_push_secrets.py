"""A pushed 12345 source authenticates with its token or its HMAC secret: one of the two being set is enough,
and with neither there is one warning that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.responders import Responders, load_responders
from monitor.config.sources import Source, load_sources
from monitor.secrets import EnvReference, referenced_env, unset_env

ROOT = Path(__file__).resolve().parents[2]
SOURCES = """\
sources:
  - {id: push-both, kind: hotline, name: 推送, push: true, token_env: PUSH_TOKEN, hmac_secret_env: PUSH_HMAC}
  - {id: push-token, kind: hotline, name: 推送二, push: true, token_env: ONLY_TOKEN}
"""
EITHER = (
    "PUSH_TOKEN or PUSH_HMAC is not set (nor PUSH_TOKEN_FILE or PUSH_HMAC_FILE): needed by sources.yaml "
    "source push-both token_env or hmac_secret_env; either one is needed: pushes authenticate with a bearer "
    "token or an HMAC signature"
)
ONLY = "ONLY_TOKEN is not set (nor ONLY_TOKEN_FILE): needed by sources.yaml source push-token token_env"


@pytest.fixture(scope="module")
def responders() -> Responders:
    return load_responders(ROOT / "responders")


@pytest.fixture
def refs(tmp_path: Path, responders: Responders) -> list[EnvReference]:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    sources: list[Source] = load_sources(path, known_regions=responders.regions)
    own = [r for r in referenced_env(responders, sources) if " source push-" in r.needed_by]
    return [r for r in own if r.name != "YUQING_PII_SALT"]  # the salt is another test's business


def test_neither_set_is_one_line_saying_either_is_needed(refs: list[EnvReference]) -> None:
    assert unset_env(refs, {}) == [ONLY, EITHER]


@pytest.mark.parametrize(
    "env",
    [
        {"PUSH_TOKEN": "tok-31415"},
        {"PUSH_HMAC": "hmac-27182"},
        {"PUSH_HMAC_FILE": "hmac"},  # made a real file below
        {"PUSH_TOKEN": "tok-31415", "PUSH_HMAC": ""},  # empty is unset
    ],
)
def test_one_of_token_and_hmac_secret_is_enough(
    refs: list[EnvReference], env: dict[str, str], tmp_path: Path
) -> None:
    if "PUSH_HMAC_FILE" in env:
        secret = tmp_path / "hmac"
        secret.write_text("hmac-27182\n", encoding="utf-8")
        env = {"PUSH_HMAC_FILE": str(secret)}
    assert unset_env(refs, env) == [ONLY]  # a source with a token only still needs its token


def test_an_unreadable_file_is_named_even_when_the_other_is_set(
    refs: list[EnvReference], tmp_path: Path
) -> None:
    """The intake reads both, and refuses every push while either file cannot be read."""
    env = {"PUSH_TOKEN": "tok-31415", "PUSH_HMAC_FILE": str(tmp_path / "missing"), "ONLY_TOKEN": "t"}
    assert unset_env(refs, env) == [
        "PUSH_HMAC_FILE points at an unreadable file: No such file or directory: "
        "needed by sources.yaml source push-both token_env or hmac_secret_env"
    ]
