"""The path a user walks, end to end, next to what its parts can do in the same run.

    python benchmarks/pipeline.py --items 20000 [--format csv|xlsx] [--json] [--keep DIR]
        [--root CHECKOUT]   (the checkout whose `qbank` is measured; default this one)
        [--assemble-runs 3] [--baseline-root OTHER_CHECKOUT] [--no-bytecode] [--repeat N]

Builds a bank file in the national layout (题型, 题干, 选项A–D, 答案, 难度, 鉴定点代码):
real-looking Chinese items made of the words of the sample electrician items
(benchmarks/overlap.py's corpus: word frequencies of the sample, 10% planted near-duplicates
with 0–3 words replaced; texts that come out identical are dropped, since a bank refuses two
items with one text), each on a 鉴定点 of a generated knowledge tree (the sample's level-1
and level-2 ranges and weights, four level-3 ranges each, about 5.5 items a point, importance
X/Y/Z 60/30/10), written as a flat tree CSV.

Then, each in its own `qbank` subprocess on a fresh SQLite file (wall and CPU time, peak memory
as benchmarks/cli_run.py measures it):

- `import tree` (creates the bank; not timed as a step), then `import items` of the file;
- `overlap check` (the first: nothing stored before the import);
- `overlap check` again (everything stored); the two reports must list the same pairs;
- with --repeat N, those three and the floors (below) N times in turn, the import each time
  into a fresh copy of the bank with its tree; the repeat of median share is shown with every
  repeat's share (on 2026-12-04 one machine's floors moved by 40% between two runs, and the
  share of one code from 37.5% to 51.8%);
- with --assemble-runs N (default 3): the six sample practical sets imported, the bank
  reviewed (signed) and filed and a batch with staff planned in this process through the
  demo's workflows (`workflows.demo.review_and_file`), a blueprint written (the sample theory
  blueprint's rules), then `qbank assemble` of 10 papers (A–J, and the practical draw), N times,
  each on a fresh copy of the filed database; with --baseline-root, that checkout's
  `qbank assemble` alternates with this one's on copies of the same database (before/after in
  one run). The median run is reported, with every run's wall and CPU seconds.

Byte code: an installed qbank and its libraries have their `.pyc` files (pip compiles them
when it installs), so the children write theirs to a private cache in the work directory
(`PYTHONPYCACHEPREFIX`) even where the environment sets PYTHONDONTWRITEBYTECODE, and fill it
with one untimed run of the same commands on a bank of `WARM_ITEMS` items (in a database of
its own; enough rows for the import's row and fingerprint workers to start, so their modules
compile too), as benchmarks/startup.py does with one untimed run of each command. Before
2026-12-04 the cache started empty, so the timed import compiled numba, scipy and the rest
(55k items: 13.1 s with that, 10.2 s without, same code). `--no-bytecode` compiles on every
start (earlier sessions' figures). The warm-up also compiles the overlap check's numba kernels
into their cache beside the package (`compile_kernels`), which a user's first check of a large
scope does once after installing: a scope of `WARM_ITEMS` takes numpy's paths, so before
2026-12-05 the first timed check of a million items in a fresh clone compiled them (7 s).

And the floors, in this process: parsing the file (python-calamine for .xlsx, the csv module
for .csv), tokenising every item with the production tokenizer (`qbank.text.tokens`), and a
SQLite `executemany` of the same rows (item, version with its canonical JSON, content key,
token set, audit event) in one transaction. Prints each step, the floor and the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cli_run import run_qbank  # noqa: E402
from overlap import build_corpus  # noqa: E402

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "难度", "鉴定点代码"]
OCCUPATION = ["--occupation", "6-31-01-03", "--level", "4", "--occupation-name", "电工"]
Row = list[str]


# The level-1 and level-2 ranges of the electrician sample's tree (samples/build.py TOP), each
# level-2 range split into SUBRANGES level-3 ranges holding the 鉴定点.
LEVEL1 = [("A", "基本要求", 25), ("B", "相关知识", 75)]
LEVEL2 = [
    ("A-A", "职业道德", 5),
    ("A-B", "基础知识", 20),
    ("B-A", "继电控制电路装调维修", 25),
    ("B-B", "电气设备装调维修", 20),
    ("B-C", "自动控制电路装调维修", 20),
    ("B-D", "基本电子电路装调维修", 10),
]
SUBRANGES = 4
ITEMS_PER_POINT = 5.5
TREE_HEADER = ["代码", "名称", "鉴定比重", "重要程度"]
PAPERS = "ABCDEFGHIJ"
BLUEPRINT = """# The sample theory blueprint (samples/blueprints/electrician-4-theory.toml) for the generated
# bank: 判断 20×1 + 单选 80×1, weights on both range levels, mean difficulty, X share.
[paper]
name = "pipeline-theory"
title = "电工（四级）理论知识考试试卷"
duration_minutes = 90
total_score = 100
pass_score = 60

[[sections]]
type = "judgement"
title = "判断题"
count = 20
score = 1

[[sections]]
type = "single"
title = "单项选择题"
count = 80
score = 1

[weights]
tolerance = 0.05
A = 0.25
A-A = 0.05
A-B = 0.20
B = 0.75
B-A = 0.25
B-B = 0.20
B-C = 0.20
B-D = 0.10

[difficulty]
mean = 0.45
tolerance = 0.1

[rules]
max_per_point = 2
min_x_share = 0.7
"""


def knowledge_tree(items: int, seed: int) -> tuple[list[Row], list[str]]:
    """The flat tree (代码, 名称, 鉴定比重, 重要程度) for a bank of `items`, and its 鉴定点 codes:
    about ITEMS_PER_POINT items a point, points per range in proportion to its weight,
    importance X/Y/Z 60/30/10."""
    rng = random.Random(seed)
    total = max(len(LEVEL2) * SUBRANGES, round(items / ITEMS_PER_POINT))
    rows: list[Row] = [[code, name, str(weight), ""] for code, name, weight in LEVEL1]
    points: list[str] = []
    for code, name, weight in LEVEL2:
        rows.append([code, name, str(weight), ""])
        per_range = min(999, max(1, round(total * weight / 100 / SUBRANGES)))
        for s in range(SUBRANGES):
            sub = f"{code}-{chr(65 + s)}"
            rows.append([sub, f"{name}（{s + 1}）", f"{weight / SUBRANGES:g}", ""])
            for k in range(1, per_range + 1):
                importance = rng.choices("XYZ", weights=(60, 30, 10))[0]
                rows.append([f"{sub}-{k:03d}", f"{name}（{s + 1}）鉴定点{k}", "", importance])
                points.append(f"{sub}-{k:03d}")
    return rows, points


def bank_rows(n: int, seed: int, points: Sequence[str]) -> list[Row]:
    """`n` generated items as sheet rows (fewer if some texts came out identical), item k on
    鉴定点 `points[k % len(points)]`."""
    corpus = build_corpus(n, seed)
    rows: list[Row] = []
    seen: set[tuple[str, ...]] = set()
    for k, (stem, options) in enumerate(corpus.texts(range(corpus.n), seed)):
        if options:
            kind, answer = "单项选择题", "ABCD"[k % 4]
        else:
            kind, answer = "判断题", "√" if k % 2 else "×"
        key = (kind, stem, *options)
        if key in seen:
            continue
        seen.add(key)
        difficulty = str((0.1, 0.3, 0.5, 0.7, 0.9)[k % 5])
        point = points[k % len(points)]
        rows.append([kind, stem, *(options + [""] * 4)[:4], answer, difficulty, point])
    return rows


def write_tree(rows: Sequence[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TREE_HEADER)
        writer.writerows(rows)


def write_bank(rows: Sequence[Row], path: Path) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("试题")
    ws.append(HEADER)
    for row in rows:
        ws.append([float(v) if i == 7 else (v or None) for i, v in enumerate(row)])
    wb.save(path)


def run_cli(
    args: Sequence[str], db: Path, env: dict[str, str], stdout: Path | None = None
) -> dict[str, Any]:
    """One `qbank` command in a subprocess (`cli_run.run_qbank`: wall seconds, CPU seconds,
    user + system, what a loaded machine inflates least; peak memory, MB; exit code); its
    standard output kept in `stdout` when given. Exits when the command fails (an exit code
    other than 0 or 1, a verdict; any code but 0 with `stdout`)."""
    with stdout.open("wb") if stdout else contextlib.nullcontext() as out:
        result = run_qbank(list(args), db, env, stdout=out, ok=(0,) if stdout else (0, 1))
    del result["output"]
    return result


def floor_parse(path: Path) -> tuple[list[Row], float]:
    start = time.perf_counter()
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))[1:]
    else:
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = [[str(v) for v in r] for r in sheet.to_python()[1:]]
    return rows, time.perf_counter() - start


def floor_tokenise(rows: Sequence[Row]) -> tuple[list[list[str]], float]:
    from qbank.text.tokens import default_tokenizer, tokenize_many

    tok = default_tokenizer()  # loading the dictionary is part of the floor
    start = time.perf_counter()
    tokens = tokenize_many([(r[1], [o for o in r[2:6] if o]) for r in rows], tokenizer=tok)
    return tokens, time.perf_counter() - start


def floor_insert(rows: Sequence[Row], tokens: Sequence[Sequence[str]], directory: Path) -> float:
    """SQLite executemany of what an import stores, one transaction, no Python per-row work
    beyond building the parameter tuples."""
    from qbank.canonical import canonical_bytes, sha256_hex

    start = time.perf_counter()
    (directory / "floor.db").unlink(missing_ok=True)  # a repeat starts from an empty file
    db = sqlite3.connect(directory / "floor.db")
    db.executescript(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, guid TEXT, current INTEGER);"
        "CREATE TABLE versions (id INTEGER PRIMARY KEY, item INTEGER, sha TEXT UNIQUE, "
        "canonical TEXT, stem TEXT, options TEXT, answer TEXT);"
        "CREATE TABLE keys (item INTEGER, key TEXT UNIQUE);"
        "CREATE TABLE token_sets (sha TEXT PRIMARY KEY, tokens TEXT);"
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, detail TEXT, hash TEXT UNIQUE);"
    )
    items, versions, keys, token_rows, audit = [], [], [], [], []
    for k, (row, toks) in enumerate(zip(rows, tokens, strict=True)):
        options = {letter: o for letter, o in zip("ABCD", row[2:6], strict=True) if o}
        canonical = canonical_bytes({"type": row[0], "stem": row[1], "options": options})
        sha = sha256_hex(canonical)
        items.append((k + 1, f"g{k}", k + 1))
        versions.append(
            (k + 1, k + 1, sha, canonical.decode(), row[1], json.dumps(options), row[6])
        )
        keys.append((k + 1, sha))
        token_rows.append((sha, json.dumps(toks, ensure_ascii=False)))
        audit.append((k + 1, json.dumps({"version": sha}), sha))
    with db:
        db.executemany("INSERT INTO items VALUES (?, ?, ?)", items)
        db.executemany("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)", versions)
        db.executemany("INSERT INTO keys VALUES (?, ?)", keys)
        db.executemany("INSERT INTO token_sets VALUES (?, ?)", token_rows)
        db.executemany("INSERT INTO audit VALUES (?, ?, ?)", audit)
    db.close()
    return time.perf_counter() - start


def report_pairs(path: Path) -> list[Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    return sorted(
        json.dumps(c, sort_keys=True) for c in body.get("pairs", body.get("clusters", []))
    )


def file_and_plan(db: Path, workspace: Path) -> int:
    """The steps between the checks and assembly, in this process through the workflows the
    commands and the demo call: a reviewer approves everything (signed), the institution
    files the bank (its package written and verified), staff and a batch are set up.
    Returns the batch id."""
    from qbank.db import open_database
    from workflows.demo import plan_batch, review_and_file
    from workflows.types import BankRef

    bank = BankRef(OCCUPATION[1], int(OCCUPATION[3]), OCCUPATION[5])
    database = open_database(str(db))
    try:
        verdicts = review_and_file(database.transaction, bank, workspace, lambda line: None)
        failed = [v for v in verdicts if not v.ok]
        if failed:
            raise SystemExit(f"filing the generated bank failed: {failed}")
        with database.transaction() as session:
            batch = plan_batch(session, bank, site="基准考点")
            return batch.id
    finally:
        database.dispose()


def assemble_runs(
    args: argparse.Namespace, directory: Path, filed: Path, batch: int, env: dict[str, str]
) -> dict[str, Any]:
    """`qbank assemble` of 10 papers (and the practical draw), each run on a fresh copy of the
    filed database; with --baseline-root, that checkout's command alternates with this one's
    on copies of the same database."""
    blueprint = directory / "blueprint.toml"
    blueprint.write_text(BLUEPRINT, encoding="utf-8")
    command = [
        "assemble",
        "--batch",
        str(batch),
        "--blueprint",
        str(blueprint),
        "--papers",
        ",".join(PAPERS),
        "--seed",
        "1",
        # the search stops deterministically; the wall-clock limit only guards against a
        # machine so loaded that 20 s of wall time run out
        "--time-limit",
        "300",
        "--json",
    ]
    roots = {"assemble": args.root}
    if args.baseline_root:
        roots["assemble (baseline)"] = args.baseline_root
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in roots}
    for k in range(args.assemble_runs):
        for name, root in roots.items():
            copy = directory / f"assemble-{k}.db"
            shutil.copyfile(filed, copy)
            out = directory / "assemble.json"
            result = run_cli(command, copy, {**env, "PYTHONPATH": str(root)}, out)
            papers = json.loads(out.read_text(encoding="utf-8"))["papers"]
            result["papers"] = len(papers)
            runs[name].append(result)
            copy.unlink()
    return {name: median_run(found) for name, found in runs.items()}


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time, with every run's wall and CPU seconds."""
    ordered = sorted(runs, key=lambda r: r["s"])
    return {
        **ordered[len(ordered) // 2],
        "runs": [round(r["s"], 2) for r in runs],
        "cpu_runs": [round(r["cpu_s"], 2) for r in runs],
    }


WARM_ITEMS = 12_000
"""Items of the untimed run that fills the byte-code cache: at least the rows for which an
import starts its row worker (`importers.table_items.PARALLEL_ROWS`) and the texts for which
it starts its fingerprint worker (`fingerprint_worker.PARALLEL_MIN`)."""


def warm_cache(directory: Path, seed: int, env: dict[str, str]) -> None:
    """The timed commands, once each, on a bank of `WARM_ITEMS` items in a database of its
    own (then deleted): every module they import is compiled into the cache before timing."""
    warm = directory / "warm"
    warm.mkdir(exist_ok=True)
    tree_rows, points = knowledge_tree(WARM_ITEMS, seed + 1)
    write_tree(tree_rows, warm / "tree.csv")
    write_bank(bank_rows(WARM_ITEMS, seed + 1, points), warm / "bank.xlsx")
    db = warm / "qbank.db"
    run_cli(["import", "tree", str(warm / "tree.csv"), *OCCUPATION, "--create"], db, env)
    run_cli(["import", "items", str(warm / "bank.xlsx"), *OCCUPATION], db, env)
    run_cli(["overlap", "check", *OCCUPATION[:4], "--out", str(warm / "r.json")], db, env)
    compile_kernels(db, warm, env)
    shutil.rmtree(warm)


_KERNELS = "from qbank.overlap import bands; bands.MAX_BAND_PAIRS = bands.MAX_VERIFY_PAIRS = -1"
"""Every scope's candidates and their Jaccard to the numba kernels, not numpy's paths."""


def compile_kernels(db: Path, directory: Path, env: dict[str, str]) -> None:
    """The overlap check's numba kernels compiled into their cache, as a user's first check
    of a large scope after installing compiles them once: `overlap check` of `db`'s bank with
    a profile that compares no scope exactly and with numpy's candidate and Jaccard paths
    closed (`qbank.overlap.bands`), so the stored path's LSH and verification kernels run
    with the argument types a large scope gives them. Without it a fresh clone's first check
    of a million items compiled them: 30.8 s against 23.7 s (2026-12-05)."""
    profile = directory / "lsh.toml"
    profile.write_text(_lsh_profile(Path(env["PYTHONPATH"])), encoding="utf-8")
    args = ["overlap", "check", *OCCUPATION[:4], "--policy", str(profile)]
    run_qbank([*args, "--out", str(directory / "k.json")], db, env, ok=(0, 1), before=_KERNELS)


def _lsh_profile(root: Path) -> str:
    """The checkout's default policy profile with `exact_max_items` 1: the LSH path always."""
    text = (root / "qbank" / "policy" / "hunan-2022.toml").read_text(encoding="utf-8")
    changed, count = re.subn(r"(\[minhash\.exact_max_items\]\s*value\s*=\s*)\d+", r"\g<1>1", text)
    if count != 1:
        raise SystemExit("the default profile has no [minhash.exact_max_items] value to lower")
    return changed


def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    tree_rows, points = knowledge_tree(args.items, args.seed)
    rows = bank_rows(args.items, args.seed, points)
    tree = directory / "tree.csv"
    write_tree(tree_rows, tree)
    bank = directory / f"bank.{args.format}"
    write_bank(rows, bank)
    env = {**os.environ, "PYTHONPATH": str(args.root), "QBANK_USER": "bench", "QBANK_LANG": "en"}
    if not args.no_bytecode:  # as an installed qbank: byte code written once, then reused
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(directory / "pycache")
        warm_cache(directory, args.seed, env)
    with_tree = directory / "tree.db"  # the bank and its tree: each repeat imports into a copy
    run_cli(["import", "tree", str(tree), *OCCUPATION, "--create"], with_tree, env)
    db = directory / "qbank.db"
    repeats = [walk(directory, bank, with_tree, db, env) for _ in range(args.repeat)]
    # the median repeat by share (of an even number, the lower of the two middle ones)
    middle = sorted(repeats, key=lambda r: r["share_of_floor"])[(len(repeats) - 1) // 2]
    assembly: dict[str, Any] = {}
    steps = dict(middle["steps"])
    if args.assemble_runs:
        practical = sorted((ROOT / "samples" / "electrician-4" / "practical").glob("*.docx"))
        run_cli(["import", "practical", *map(str, practical), *OCCUPATION[:4]], db, env)
        start = time.perf_counter()
        batch = file_and_plan(db, directory)
        assembly["review, file, batch (in process) s"] = time.perf_counter() - start
        steps |= assemble_runs(args, directory, db, batch, env)
    return {
        "items": len(rows),
        "points": len(points),
        "format": args.format,
        "load_average": os.getloadavg(),
        **middle,
        "steps": steps,
        "shares": [round(r["share_of_floor"], 4) for r in repeats],
        "assembly": assembly,
    }


def walk(
    directory: Path, bank: Path, with_tree: Path, db: Path, env: dict[str, str]
) -> dict[str, Any]:
    """One repeat: the import into a fresh copy of `with_tree` (left at `db`), the two checks,
    then the floors, each measured in this repeat so a ratio compares times taken together."""
    shutil.copyfile(with_tree, db)
    steps = {
        "import": run_cli(["import", "items", str(bank), *OCCUPATION], db, env),
        "first check": run_cli(
            ["overlap", "check", *OCCUPATION[:4], "--out", str(directory / "first.json")], db, env
        ),
        "second check": run_cli(
            ["overlap", "check", *OCCUPATION[:4], "--out", str(directory / "second.json")], db, env
        ),
    }
    same = report_pairs(directory / "first.json") == report_pairs(directory / "second.json")
    parsed, parse_s = floor_parse(bank)
    tokens, tokenise_s = floor_tokenise(parsed)
    insert_s = floor_insert(parsed, tokens, directory)
    floor = parse_s + tokenise_s + insert_s
    walked = steps["import"]["s"] + steps["first check"]["s"]
    return {
        "steps": steps,
        "reports_identical": same,
        "floors": {"parse_s": parse_s, "tokenise_s": tokenise_s, "executemany_s": insert_s},
        "import_plus_first_check_s": walked,
        "floor_s": floor,
        "share_of_floor": floor / walked,
    }


def show(result: dict[str, Any]) -> None:
    print(f"{result['items']} items ({result['format']}), {os.cpu_count()} cores")
    for name, step in result["steps"].items():
        runs = f"   median of {step['runs']} (CPU {step['cpu_runs']})" if "runs" in step else ""
        print(
            f"  {name:<19} {step['s']:7.2f} s (CPU {step['cpu_s']:6.2f} s)   "
            f"peak RSS {step['peak_mb']:5.0f} MB   exit {step['rc']}{runs}"
        )
    f = result["floors"]
    print(
        f"  floors: parse {f['parse_s']:.2f} s, tokenise {f['tokenise_s']:.2f} s, "
        f"executemany {f['executemany_s']:.2f} s = {result['floor_s']:.2f} s"
    )
    print(
        f"  import + first check {result['import_plus_first_check_s']:.2f} s: "
        f"{100 * result['share_of_floor']:.1f}% of the floor's speed"
    )
    second = result["steps"]["second check"]["s"]
    print(f"  second check / tokenise floor: {second / f['tokenise_s']:.2f}")
    print(f"  reports of the two checks identical: {result['reports_identical']}")
    if len(result["shares"]) > 1:
        shares = ", ".join(f"{100 * share:.1f}%" for share in result["shares"])
        print(f"  shares of the {len(result['shares'])} repeats: {shares} (the median shown)")
    for name, seconds in result["assembly"].items():
        print(f"  {name}: {seconds:.2f}")
    print(f"  load average at the end: {', '.join(f'{x:.2f}' for x in result['load_average'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT, help="the qbank checkout the CLI runs")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep its files")
    parser.add_argument(
        "--assemble-runs",
        type=int,
        default=3,
        help="runs of `qbank assemble` (10 papers) on copies of the filed bank (0: none)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="times the import, the checks and the floors are measured, in turn (the repeat "
        "of median share is shown, with every share): one machine's speed moves between runs",
    )
    parser.add_argument(
        "--baseline-root", type=Path, help="another checkout whose `qbank assemble` alternates"
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="children compile qbank's sources on every start (PYTHONDONTWRITEBYTECODE as set)",
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(args, Path(tmp))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        show(result)


if __name__ == "__main__":
    main()
