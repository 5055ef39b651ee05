"""`yuqing demo` outside the checkout: the default responders/ falls back to the example yuqing ships."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from monitor.config.errors import ConfigError
from monitor.config.responders import load_responders
from monitor.demo.runner import DEFAULT_RESPONDERS, DemoOptions, demo_responders, run_demo

ROOT = Path(__file__).resolve().parents[2]


def test_default_responders_fall_back_to_the_bundled_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a directory without responders/, as after `pip install yuqing`
    path, bundled = demo_responders(DEFAULT_RESPONDERS)
    assert bundled
    assert path.is_absolute() and path.is_dir()
    assert sorted(p.name for p in path.glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "responders").glob("*.yaml")
    )
    responders = load_responders(path)
    assert {"zhengfuban", "yingji", "shuiwu"} <= responders.departments.keys()


def test_responders_in_the_working_directory_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "responders", tmp_path / "responders")
    monkeypatch.chdir(tmp_path)
    assert demo_responders(DEFAULT_RESPONDERS) == (DEFAULT_RESPONDERS, False)


@pytest.mark.parametrize("given", ["my-responders", "absolute"])
def test_an_explicit_missing_responders_path_is_an_error(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nowhere" if given == "absolute" else Path(given)
    assert demo_responders(path) == (path, False)
    opts = DemoOptions(responders=path, data_dir=tmp_path / "demo", out=lambda line: None)
    with pytest.raises(ConfigError) as err:
        asyncio.run(run_demo(opts))  # fails on the configuration, before anything starts
    assert [p.file for p in err.value.problems] == [str(path)]
    assert "responders directory not found" in str(err.value)
    assert not (tmp_path / "demo").exists()
