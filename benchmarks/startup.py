"""Start-up benchmark: what a user waits for before a command does any work.

    python benchmarks/startup.py [--runs 5] [--json]

Times, each in a fresh process and `--runs` times (median reported, with min and max):

- `python -c pass`: the floor, the interpreter alone;
- `qbank --help`, `qbank import --help`;
- `qbank bank list` on a SQLite database created (and migrated) beforehand, so the schema is
  current and the command only reads.

The commands run as `python -c "from cli.main import main; main()" …` with this interpreter,
in an empty directory, so the figures are those of the code on `sys.path` (set PYTHONPATH to
a checkout to time it; the current directory would otherwise come first).
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


def _time(argv: list[str], runs: int, cwd: str) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user
            - before.children_user
            + after.children_system
            - before.children_system
        )
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(cpus),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "q.db")
        subprocess.run(
            [python, "-c", QBANK, "--db", db, "init"], check=True, capture_output=True, cwd=tmp
        )
        cases: list[tuple[str, list[str]]] = [
            ("python -c pass (floor)", [python, "-c", "pass"]),
            ("qbank --help", [python, "-c", QBANK, "--help"]),
            ("qbank import --help", [python, "-c", QBANK, "import", "--help"]),
            ("qbank bank list", [python, "-c", QBANK, "--db", db, "bank", "list"]),
        ]
        results: dict[str, Any] = {name: _time(argv, args.runs, tmp) for name, argv in cases}
    if args.json:
        print(json.dumps({"runs": args.runs, "results": results}, indent=2))
        return
    floor = results["python -c pass (floor)"]["median"]
    print(f"median of {args.runs} runs, fresh process each")
    print(f"{'command':<26}{'median s':>10}{'min s':>8}{'max s':>8}{'cpu s':>8}{'× floor':>9}")
    for name, r in results.items():
        print(
            f"{name:<26}{r['median']:>10.3f}{r['min']:>8.3f}{r['max']:>8.3f}{r['cpu']:>8.3f}"
            f"{r['median'] / floor:>9.1f}"
        )


if __name__ == "__main__":
    main()
