"""`qbank overlap check` of a stored bank, this checkout against another, in alternation.

    python benchmarks/overlap_check.py --db DIR/qbank.db [--baseline-root OTHER_CHECKOUT]
        [--runs 5] [--occupation 6-31-01-03 --level 4] [--json]

The database is one `benchmarks/pipeline.py --keep DIR` leaves (its bank imported and checked
twice: tokens and signatures stored), so every check here is a "second check". Each run is a
`qbank overlap check --out` in its own subprocess on a fresh copy of the database (a check
stores its report; copies keep the runs alike), this checkout's and the baseline's taking
turns, so both meet the same load. Reported per checkout: median and least wall and CPU seconds
(user + system: what a loaded machine inflates least), peak memory (benchmarks/cli_run.py), and
whether every report is byte-identical to the first one's once `generated_at` is set aside.

Compare like with like: both checkouts with their bytecode compiled (`python -m compileall -q
qbank cli workflows` in each), or neither (PYTHONDONTWRITEBYTECODE makes every run compile).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_run import run_qbank  # noqa: E402

STAMP = re.compile(rb'"generated_at":"[^"]*"')


def check_once(root: Path, source: Path, work: Path, bank: list[str]) -> dict[str, Any]:
    """One check by `root`'s qbank on a copy of `source`: its figures and report bytes."""
    db, out = work / "check.db", work / "report.json"
    shutil.copyfile(source, db)
    env = {**os.environ, "PYTHONPATH": str(root), "QBANK_USER": "bench", "QBANK_LANG": "en"}
    with open(os.devnull, "wb") as nowhere:
        # exit 1: the bank's repetition is over the cap, a verdict
        command = ["overlap", "check", *bank, "--out", str(out)]
        result = run_qbank(command, db, env, stdout=nowhere, ok=(0, 1))
    del result["output"]
    return {**result, "report": STAMP.sub(b'"generated_at":""', out.read_bytes())}


def summary(runs: list[dict[str, Any]], first_report: bytes) -> dict[str, Any]:
    return {
        "median_s": statistics.median(r["s"] for r in runs),
        "least_s": min(r["s"] for r in runs),
        "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "least_cpu_s": min(r["cpu_s"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "runs": [{"s": r["s"], "cpu_s": r["cpu_s"]} for r in runs],
        "reports_identical": all(r["report"] == first_report for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a database pipeline.py kept")
    parser.add_argument("--baseline-root", type=Path, help="another checkout, run in turn")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--occupation", default="6-31-01-03")
    parser.add_argument("--level", default="4")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    roots = {"this checkout": ROOT}
    if args.baseline_root:
        roots["baseline"] = args.baseline_root.resolve()
    bank = ["--occupation", args.occupation, "--level", args.level]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in roots}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for name, root in roots.items():
                runs[name].append(check_once(root, args.db, Path(tmp), bank))
    first = runs["this checkout"][0]["report"]
    checks = {name: summary(found, first) for name, found in runs.items()}
    if args.json:
        print(json.dumps({"load_average": os.getloadavg(), "checks": checks}, indent=2))
        return
    for name, s in checks.items():
        print(
            f"{name:14s} wall {s['median_s']:5.2f} s (least {s['least_s']:.2f})   "
            f"CPU {s['median_cpu_s']:5.2f} s (least {s['least_cpu_s']:.2f})   "
            f"peak RSS {s['peak_mb']:4.0f} MB   reports identical: {s['reports_identical']}"
        )
    print("load average at the end: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
