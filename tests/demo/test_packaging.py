"""The built wheel holds every module and everything `yuqing demo` reads, so it runs outside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_the_wheel_ships_every_package_and_the_demo_files(tmp_path: Path) -> None:
    # Built from a copy, so the checkout gets no build/ directory; takes a few seconds.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("monitor", "responders"):  # symlinks kept: monitor/demo/responders is one
        shutil.copytree(ROOT / name, src / name, ignore=ignore, symlinks=True)
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = out.glob("yuqing-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    modules = {p.relative_to(ROOT) for p in (ROOT / "monitor").rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted({".".join(m.parent.parts) for m in modules if m.as_posix() not in names})
    assert missing == [], f"packages missing from the wheel: {missing}"
    responders = {f"monitor/demo/responders/{p.name}" for p in (ROOT / "responders").glob("*.yaml")}
    assert len(responders) > 5 and responders <= names
    demo_data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "monitor/demo/data").iterdir()}
    assert demo_data - names == set()
    assert not any(n.startswith("responders/") for n in names)
