"""`qbank db verify` benchmark: the whole user path on a bank of 100,000 item versions.

    python benchmarks/db_verify.py [--versions 100000] [--dir DIR] [--json]

Builds a SQLite database (migrated by qbank, then filled with bulk Core inserts): one bank,
N items with one version each, Chinese stems of 30-90 characters and four options like the
sample bank's single-choice items, every version stored as qbank stores it (canonical JSON,
its SHA-256, the denormalised columns; the content key is a stand-in, which db verify does not
re-derive). Then times, each in a fresh process:

- `qbank db verify --db … --json` (the user's whole path: start-up, migration check, every
  check, the report), asserting that it exits 0 and checked N item versions;
- `qbank --version` (what starting the command costs before any work);
- the floor: a bare loop in this process reading the canonical strings with sqlite3 and
  hashing them with hashlib, comparing each with its stored id.

and, in this process, `verify_database` alone (the checks without start-up). CPU seconds are
given beside wall-clock ones: on a shared machine the wall clock measures the neighbours too.

Target (issue 11): N = 100,000 verifies in under 10 s. Prints one table; `--json` prints the
figures instead. `--dir DIR` keeps the database; `--reuse` then times a kept one again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from qbank.canonical import canonical_bytes, content_id  # noqa: E402
from qbank.db import open_database  # noqa: E402
from qbank.items import encode_answer  # noqa: E402
from qbank.model import Bank, Item, ItemVersion, Occupation  # noqa: E402

TARGET_SECONDS = 10.0
CHUNK = 5000
# Characters of the sample bank's stems (electrical work), for text of a realistic shape.
CHARS = (
    "电工电路电压电流电阻功率交流直流变压器绝缘接地保护开关线路设备安全操作规程检修"
    "测量仪表万用表兆欧表钳形电流表导线截面积负载短路过载漏电断路器熔断器继电器接触器"
    "电动机启动制动调速三相单相星形三角形连接额定频率相位功率因数照明配电箱控制回路"
)
OPTION_WORDS = ("正确", "错误", "增大", "减小", "不变", "无法确定", "串联", "并联", "接地", "断开")


class _Text:
    """Random text of the sample's characters, cut from one long string (fast to make)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = "".join(rng.choices(CHARS, k=1 << 20))

    def __call__(self, length: int) -> str:
        start = self.rng.randrange(len(self.pool) - length)
        return self.pool[start : start + length]


def _content(rng: random.Random, text: _Text, n: int) -> dict[str, Any]:
    stem = text(rng.randint(30, 90)) + f"（{n}）。"
    options = {letter: "".join(rng.sample(OPTION_WORDS, 2)) + text(4) for letter in "ABCD"}
    return {
        "type": "single",
        "stem": stem,
        "options": options,
        "answer": rng.choice("ABCD"),
        "knowledge_code": f"B-A-C-{rng.randint(1, 400):03d}",
        "knowledge_path": ["基本要求", "电工基础", "电路"],
        "importance": rng.choice("XYZ"),
        "difficulty": rng.choice((0.1, 0.3, 0.5, 0.7, 0.9)),
        "discrimination": None,
        "score": 1.0,
        "explanation": None,
        "source": "基准",
        "author": "基准专家",
    }


def build(path: Path, versions: int) -> float:
    """Create the database at `path` with `versions` item versions; returns seconds taken."""
    started = time.perf_counter()
    db = open_database(str(path))
    rng = random.Random(20261203)
    text = _Text(rng)
    try:
        with db.engine.begin() as conn:
            occupation = conn.execute(
                insert(Occupation).values(code="6-31-01-03", name="电工")
            ).inserted_primary_key[0]
            bank = conn.execute(
                insert(Bank).values(occupation_id=occupation, level=4)
            ).inserted_primary_key[0]
            for start in range(1, versions + 1, CHUNK):
                ids = range(start, min(start + CHUNK, versions + 1))
                conn.execute(
                    insert(Item),
                    [{"id": i, "bank_id": bank, "guid": str(uuid.UUID(int=i))} for i in ids],
                )
                rows = []
                for i in ids:
                    content = _content(rng, text, i)
                    canonical = canonical_bytes(content)
                    rows.append(
                        {
                            "id": i,
                            "item_id": i,
                            "seq": 1,
                            "sha256": hashlib.sha256(canonical).hexdigest(),
                            # A stand-in: db verify does not re-derive content keys (they
                            # index text for matching re-imports; they are not content).
                            "content_key": content_id(
                                [content["type"], content["stem"], content["options"]]
                            ),
                            "canonical": canonical.decode("utf-8"),
                            **{k: v for k, v in content.items() if k != "answer"},
                            "answer": encode_answer(content["answer"]),
                            "origin": "benchmark",
                            "created_by": "benchmark",
                        }
                    )
                conn.execute(insert(ItemVersion), rows)
            conn.execute(update(Item).values(current_version_id=Item.id))
    finally:
        db.dispose()
    return time.perf_counter() - started


def _qbank() -> list[str]:
    script = Path(sys.executable).with_name("qbank")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cli.main import main; main()"]


def _timed(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall-clock and CPU seconds (user + system) of a subprocess, and its outcome."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def in_process(path: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `verify_database` alone, in this process (no start-up,
    no imports)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from qbank.integrity import verify_database

    engine = create_engine(f"sqlite:///{path}")
    started, cpu = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        report = verify_database(session)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    assert report.ok
    return seconds, cpu


def floor(path: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of a bare loop: read every canonical string, hash it,
    compare it with its id."""
    started, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(path)
    bad = 0
    for sha, canonical in conn.execute("SELECT sha256, canonical FROM item_versions"):
        if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != sha:
            bad += 1
    conn.close()
    assert bad == 0
    return time.perf_counter() - started, time.process_time() - cpu


def run(versions: int, directory: Path, *, reuse: bool = False) -> dict[str, Any]:
    path = directory / f"bench-{versions}.db"
    if reuse and path.exists():
        built = 0.0
    else:
        path.unlink(missing_ok=True)
        built = build(path, versions)
    startup, startup_cpu, _ = _timed([*_qbank(), "--version"])
    verify_seconds, verify_cpu, done = _timed(
        [*_qbank(), "db", "verify", "--db", str(path), "--json"],
        env={**os.environ, "QBANK_LANG": "en"},
    )
    if done.returncode != 0:
        raise SystemExit(f"qbank db verify exited {done.returncode}:\n{done.stdout}{done.stderr}")
    report = json.loads(done.stdout)
    inside, bare = in_process(path), floor(path)
    checked = report["checks"]["item_versions"]["checked"]
    assert checked == versions, (checked, versions)
    return {
        "versions": versions,
        "database_mb": round(path.stat().st_size / 1e6, 1),
        "build_seconds": round(built, 2),
        "verify_seconds": round(verify_seconds, 2),
        "verify_cpu_seconds": round(verify_cpu, 2),
        "startup_seconds": round(startup, 2),
        "startup_cpu_seconds": round(startup_cpu, 2),
        "in_process_seconds": round(inside[0], 2),
        "in_process_cpu_seconds": round(inside[1], 2),
        "floor_seconds": round(bare[0], 2),
        "floor_cpu_seconds": round(bare[1], 2),
        "load_average": round(os.getloadavg()[0], 1),
        "target_seconds": TARGET_SECONDS,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the database here")
    parser.add_argument(
        "--reuse", action="store_true", help="with --dir: keep a database built before"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        figures = run(args.versions, args.dir, reuse=args.reuse)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(args.versions, Path(tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    n = figures["versions"]
    print(f"qbank db verify, {n:,} item versions ({figures['database_mb']} MB SQLite file)")
    f = figures
    print(f"  (load average {f['load_average']} on {f['cpus']} CPUs; wall-clock and CPU seconds)")
    print(f"  build (bulk Core inserts)            {f['build_seconds']:6.2f} s")
    print(
        f"  floor: read + SHA-256 loop           {f['floor_seconds']:6.2f} s"
        f"  cpu {f['floor_cpu_seconds']:6.2f} s"
    )
    print(
        f"  verify_database, in process          {f['in_process_seconds']:6.2f} s"
        f"  cpu {f['in_process_cpu_seconds']:6.2f} s"
    )
    print(
        f"  qbank --version (process start)      {f['startup_seconds']:6.2f} s"
        f"  cpu {f['startup_cpu_seconds']:6.2f} s"
    )
    verdict = "within" if f["verify_seconds"] < TARGET_SECONDS else "OVER"
    print(
        f"  qbank db verify --json (subprocess)  {f['verify_seconds']:6.2f} s"
        f"  cpu {f['verify_cpu_seconds']:6.2f} s  ({verdict} the {TARGET_SECONDS:.0f} s target;"
        f" {f['verify_seconds'] / max(f['floor_seconds'], 1e-9):.1f}x the floor)"
    )


if __name__ == "__main__":
    main()
