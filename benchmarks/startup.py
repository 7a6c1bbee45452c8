"""Start-up benchmark: what a user waits for before a command does any work.

    python benchmarks/startup.py [--runs 5] [--json] [--checkout DIR ...] [--no-bytecode]

Times, each in a fresh process and `--runs` times (median reported, with min and max):

- `python -c pass`: the floor, the interpreter alone;
- `qbank --help`, `qbank import --help`;
- `qbank bank list` and `qbank bank show` on a SQLite database created (and migrated)
  beforehand and holding one (empty) bank, so the schema is current and the commands only
  read.

The commands run as `python -c "from cli.main import main; main()" …` with this interpreter,
in an empty directory, so the figures are those of the code on `sys.path` (set PYTHONPATH to
a checkout to time it; the current directory would otherwise come first). With `--checkout`
(repeatable) each command is timed for every checkout given, alternating run by run, so a
before/after comparison shares the machine's load.

Byte code: an installed qbank has its `.pyc` files, so the children write and reuse theirs in
a private cache (`PYTHONPYCACHEPREFIX`, a temporary directory; one untimed run of each
command fills it), even when the environment sets PYTHONDONTWRITEBYTECODE. `--no-bytecode`
times them compiling qbank's sources on every start instead (what a checkout run with
PYTHONDONTWRITEBYTECODE pays; the figures of earlier sessions were taken that way).

CPU seconds (user + system of the child) are given beside wall-clock ones: on a shared machine
the wall clock measures the neighbours too. Targets (issue 12): `--help` ≤ 0.3 s, `bank list`
≤ 0.8 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

QBANK = "from cli.main import main; main()"
BANK = ["--occupation", "6-31-01-03", "--level", "4", "--name", "电工"]


def _run(argv: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = os.times()
    user = after.children_user - before.children_user
    return wall, user + after.children_system - before.children_system


def _summary(walls: list[float], cpus: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(cpus),
    }


def _env(checkout: str | None, cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = checkout
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _cases(python: str, db: str) -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass (floor)", [python, "-c", "pass"]),
        ("qbank --help", [python, "-c", QBANK, "--help"]),
        ("qbank import --help", [python, "-c", QBANK, "import", "--help"]),
        ("qbank bank list", [python, "-c", QBANK, "--db", db, "bank", "list"]),
        ("qbank bank show", [python, "-c", QBANK, "--db", db, "bank", "show", *BANK[:4]]),
    ]


def measure(runs: int, checkouts: list[str | None], bytecode: bool) -> dict[str, Any]:
    """{checkout: {case: summary}}, every case run alternately for each checkout."""
    python = sys.executable
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        envs = {
            c: _env(c, str(Path(tmp) / f"pyc{n}") if bytecode else None)
            for n, c in enumerate(checkouts)
        }
        db = str(Path(tmp) / "q.db")
        first = envs[checkouts[0]]
        for command in (["init"], ["bank", "new", *BANK]):
            subprocess.run(
                [python, "-c", QBANK, "--db", db, *command],
                check=True,
                capture_output=True,
                cwd=tmp,
                env=first,
            )
        for name, argv in _cases(python, db):
            times: dict[str | None, tuple[list[float], list[float]]] = {
                c: ([], []) for c in checkouts
            }
            for checkout in checkouts:  # untimed: fills the byte-code cache
                subprocess.run(argv, check=True, capture_output=True, cwd=tmp, env=envs[checkout])
            for _ in range(runs):
                for checkout in checkouts:
                    wall, cpu = _run(argv, tmp, envs[checkout])
                    times[checkout][0].append(wall)
                    times[checkout][1].append(cpu)
            for checkout, (walls, cpus) in times.items():
                results.setdefault(checkout or "(PYTHONPATH)", {})[name] = _summary(walls, cpus)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--checkout", action="append", help="a checkout to time (repeatable)")
    parser.add_argument("--no-bytecode", action="store_true", help="compile on every start")
    args = parser.parse_args()
    checkouts: list[str | None] = list(args.checkout or [None])
    results = measure(args.runs, checkouts, not args.no_bytecode)
    if args.json:
        print(json.dumps({"runs": args.runs, "results": results}, indent=2))
        return
    cache = "no byte-code cache" if args.no_bytecode else "byte code cached"
    print(f"median of {args.runs} runs, fresh process each, {cache}")
    for checkout, cases in results.items():
        floor = cases["python -c pass (floor)"]["median"]
        if len(results) > 1:
            print(f"\n{checkout}")
        print(f"{'command':<26}{'median s':>10}{'min s':>8}{'max s':>8}{'cpu s':>8}{'× floor':>9}")
        for name, r in cases.items():
            print(
                f"{name:<26}{r['median']:>10.3f}{r['min']:>8.3f}{r['max']:>8.3f}{r['cpu']:>8.3f}"
                f"{r['median'] / floor:>9.1f}"
            )


if __name__ == "__main__":
    main()
