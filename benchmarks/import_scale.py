"""A large CSV import and the first overlap check after it, as the user runs them.

    python benchmarks/import_scale.py --items 1000000 --keep DIR [--reuse] [--no-check] [--json]
        [--no-bytecode]

Writes a knowledge tree and a bank CSV in the national layout with benchmarks/pipeline.py's
generators (real-looking Chinese items, 10% planted near-duplicates; the rows are built and
written a block at a time, so the generator's own memory stays small) unless `--reuse` finds
DIR/bank.csv and DIR/tree.csv, then runs `qbank import tree` (creating the bank), `qbank
import items` and `qbank overlap check` in subprocesses on a fresh SQLite file, the last two each
with its wall time, CPU time and peak RSS (the child's own rusage). The target of issue #12:
a 1M-item CSV import plus its first check in under 2 minutes, the check under 1.5 GB.

As in pipeline.py, the commands run as an installed qbank does, with their byte code compiled
once (into DIR/pycache, by `pipeline.warm_cache` before timing) and reused, even where the
environment sets PYTHONDONTWRITEBYTECODE; `--no-bytecode` compiles on every command instead.
The warm-up compiles the overlap check's numba kernels too (`pipeline.compile_kernels`), as a
user's first large check after installing does once.
"""

from __future__ import annotations

import sys

# benchmarks/ holds a tokenize.py that shadows the standard library's once this folder is on
# the path (linecache imports `tokenize`): take the standard one first.
_HERE = sys.path.pop(0)
import tokenize  # noqa: E402, F401

sys.path.insert(0, _HERE)

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402
from cli_run import run_qbank  # noqa: E402

BANK = ["--occupation", "6-31-01-03", "--level", "4"]
BLOCK = 100_000  # rows generated and written at a time


def write_csv(path: Path, n: int, seed: int, points: Sequence[str]) -> int:
    """`n` generated items (fewer when texts repeat) on the knowledge tree's `points`, written
    block by block; their count."""
    written = 0
    seen: set[int] = set()
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(pipeline.HEADER)
        for start in range(0, n, BLOCK):
            rows = pipeline.bank_rows(min(BLOCK, n - start), seed + start, points)
            for row in rows:
                key = hash(tuple(row[:6]))  # one text once in the whole file, as a bank needs
                if key in seen:
                    continue
                seen.add(key)
                writer.writerow(row)
                written += 1
    return written


def run_cli(args: list[str], db: Path, env: dict[str, str]) -> dict[str, Any]:
    """One `qbank` command in a subprocess (`cli_run.run_qbank`): wall and CPU seconds, peak
    memory (MB), the last line it printed; exits when the command fails."""
    result = run_qbank(args, db, env)
    return {**result, "output": result["output"].strip().splitlines()[-1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, required=True, help="folder for the CSV and the DB")
    parser.add_argument("--reuse", action="store_true", help="use DIR/bank.csv when it exists")
    parser.add_argument("--root", type=Path, default=ROOT, help="the qbank checkout to run")
    parser.add_argument("--no-check", action="store_true", help="measure the import only")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile qbank's modules on every command"
    )
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    bank = args.keep / "bank.csv"
    tree = args.keep / "tree.csv"
    result: dict[str, Any] = {"load_before": os.getloadavg()}
    if not (args.reuse and bank.exists() and tree.exists()):
        start = time.perf_counter()
        tree_rows, points = pipeline.knowledge_tree(args.items, args.seed)
        pipeline.write_tree(tree_rows, tree)
        result["written"] = write_csv(bank, args.items, args.seed, points)
        result["generate_s"] = time.perf_counter() - start
    result["csv_mb"] = bank.stat().st_size / 2**20
    db = args.keep / "qbank.db"
    db.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(args.root), "QBANK_USER": "bench", "QBANK_LANG": "en"}
    if not args.no_bytecode:  # as an installed qbank: byte code written once, then reused
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(args.keep / "pycache")
        pipeline.warm_cache(args.keep, args.seed, env)
    create = ["--create", "--occupation-name", "电工"]
    run_cli(["import", "tree", str(tree), *BANK, *create], db, env)  # the bank and its 鉴定点
    result["import"] = run_cli(["import", "items", str(bank), *BANK], db, env)
    steps = ["import"]
    if not args.no_check:
        out = str(args.keep / "first.json")
        result["first check"] = run_cli(["overlap", "check", *BANK, "--out", out], db, env)
        steps.append("first check")
    result["load_after"] = os.getloadavg()
    result["total_s"] = sum(result[step]["s"] for step in steps)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{args.items} items asked, CSV {result['csv_mb']:.0f} MB, load {result['load_before']}")
    for name in steps:
        step = result[name]
        print(
            f"  {name:<12} {step['s']:7.1f} s wall  {step['cpu_s']:7.1f} s CPU  "
            f"peak RSS {step['peak_mb']:6.0f} MB   {step['output']}"
        )
    print(f"  {' + '.join(steps)} {result['total_s']:.1f} s; load after {result['load_after']}")


if __name__ == "__main__":
    main()
