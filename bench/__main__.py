"""`python -m bench [NAME ...] [--quick]`: run the benchmarks, save JSON in bench/results/."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def available() -> list[str]:
    return sorted(p.stem.removesuffix("_bench") for p in HERE.glob("*_bench.py"))


def run_one(name: str, quick: bool, timeout: float) -> dict[str, object]:
    cmd = [sys.executable, "-m", f"bench.{name}_bench"] + (["--quick"] if quick else [])
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"name": name, "error": f"timed out after {timeout:.0f}s"}
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        return {"name": name, "error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "")
    except (json.JSONDecodeError, IndexError):
        return {"name": name, "error": "did not print JSON", "stdout": proc.stdout[-2000:]}
    return {"name": name, "seconds": round(elapsed, 1), "result": result}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per benchmark")
    args = parser.parse_args()
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    results = []
    failed = False
    for name in names:
        print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        res = run_one(name, args.quick, args.timeout)
        failed |= "error" in res
        (out_dir / f"{name}.json").write_text(
            json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        results.append(res)
    print(json.dumps({"benchmarks": results}, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
