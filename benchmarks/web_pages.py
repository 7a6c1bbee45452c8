"""Every page of the browser workspace (`qbank serve`) on a 10k-item bank, against 200 ms.

    python benchmarks/web_pages.py [--items 10000] [--requests 15] [--batches 200]
        [--keep DIR] [--json]

Builds one database, every step through the commands a user runs (each a `qbank`
subprocess), except the planned batches (engine calls in one transaction: 200 `qbank batch
new` processes would only measure Python start-up):

- `qbank demo --no-pdf`: the sample bank 6-31-01-03 四级 imported, checked, reviewed, filed;
  a batch assembled, sealed and carried through every custody step; its filing package,
  custody export and the demo's keys beside it (the regulator's uploads come from there);
- `qbank bank new` 6-31-01-03 三级 and `qbank import items` of a generated bank of `--items`
  items (benchmarks/pipeline.py's `bank_rows`: Chinese items from the sample's words, 10%
  planted near-duplicates), then `qbank overlap check` on it (the stored report the pair
  pages list);
- `qbank person grant`: the demo reviewer and the demo printer (staff) may see both banks;
- `--batches` planned batches on the big bank naming the printer (the staff list pages).

Then, in this process, the app (`web.app.create_app`) under Starlette's TestClient: one
client per kind of user, signed in with the one-time link (`--as`): the reviewer (grants, not
the institution's see-all), the regulator, the staff member. Each page is requested once to
warm up, then `--requests` times (uploads that verify a whole package or re-derive a report:
`--upload-requests`), and the median and the slowest are printed with the 200 ms target.
The time is the app's (routing, session, database, engine, template) without the network;
TestClient adds well under a millisecond. Pages not on this checkout answer 404 and are
listed as skipped; signing actions (approve, adjudicate) are not timed: each opens the
viewer's key with scrypt, which is slow on purpose.

`--keep DIR` works in DIR and keeps it; run again with the same DIR to measure without
rebuilding (the build takes a few minutes, most of it the demo and the overlap check).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipeline import bank_rows, write_bank  # noqa: E402

TARGET_MS = 200.0
OCCUPATION = "6-31-01-03"
BIG_LEVEL, DEMO_LEVEL = 3, 4


# --- building the database -----------------------------------------------------------------------


def qbank(args: Sequence[str], db: Path, env: dict[str, str]) -> float:
    """One `qbank` command in a subprocess; its wall seconds. Exits on failure."""
    command = [sys.executable, "-c", "from cli.main import main; main()", *args, "--db", str(db)]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"qbank {' '.join(args[:3])} failed ({done.returncode})")
    return time.perf_counter() - start


def build(work: Path, items: int, batches: int, log: Callable[[str], None]) -> dict[str, float]:
    """The database in `work/demo/qbank.db` (see the module's docstring); seconds per step."""
    from workflows.demo import DEMO_REVIEWER, DEMO_STAFF

    env = {**os.environ, "PYTHONPATH": str(ROOT), "QBANK_USER": "bench", "QBANK_LANG": "en"}
    demo = work / "demo"
    db = demo / "qbank.db"
    times: dict[str, float] = {}
    log("qbank demo …")
    times["demo"] = qbank(["demo", "--dir", str(demo), "--no-pdf"], db, env)
    big = ["--occupation", OCCUPATION, "--level", str(BIG_LEVEL)]
    times["bank new"] = qbank(["bank", "new", *big, "--name", "电工"], db, env)
    rows = bank_rows(items, seed=7)
    bank_file = work / "bank.csv"
    write_bank(rows, bank_file)
    log(f"qbank import items ({len(rows)} items) …")
    times["import items"] = qbank(["import", "items", str(bank_file), *big], db, env)
    log("qbank overlap check …")
    times["overlap check"] = qbank(
        ["overlap", "check", *big, "--out", str(work / "overlap-big.json")], db, env
    )
    for person in (DEMO_REVIEWER, DEMO_STAFF["print"][0]):
        for level in (BIG_LEVEL, DEMO_LEVEL):
            grant = ["person", "grant", person, "--occupation", OCCUPATION, "--level", str(level)]
            times["person grant"] = times.get("person grant", 0) + qbank(grant, db, env)
    start = time.perf_counter()
    plan_batches(f"sqlite:///{db}", batches)
    times["planned batches"] = time.perf_counter() - start
    return times


def plan_batches(url: str, count: int) -> None:
    """`count` batches on the big bank, one a day, with the demo's staff designated."""
    from qbank.bank import find_bank
    from qbank.batch import new_batch
    from qbank.db import open_database
    from workflows.demo import DEMO_STAFF

    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCCUPATION, BIG_LEVEL)
            for n in range(count):
                new_batch(
                    session,
                    bank,
                    exam_date=date(2031, 1, 1) + timedelta(days=n),
                    site=f"考点{n + 1:03d}",
                    candidates=30 + n % 50,
                    staff=DEMO_STAFF,
                    actor="bench",
                )
    finally:
        db.dispose()


# --- the pages -------------------------------------------------------------------------------------


@dataclass
class Page:
    """One request to time: `path` may name ids found at run time ({big}, {item}, …)."""

    name: str
    who: str  # reviewer | regulator | staff
    path: str
    upload: Callable[[], tuple[dict[str, str], dict[str, Any]]] | None = None
    heavy: bool = False  # verifies a whole package or re-derives a report
    note: str = ""


@dataclass
class Timing:
    name: str
    who: str
    method: str
    path: str
    status: int | None
    times_ms: list[float] = field(default_factory=list)
    note: str = ""
    heavy: bool = False

    @property
    def median(self) -> float | None:
        return statistics.median(self.times_ms) if self.times_ms else None

    @property
    def slowest(self) -> float | None:
        return max(self.times_ms) if self.times_ms else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "page": self.name,
            "who": self.who,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "requests": len(self.times_ms),
            "median_ms": self.median,
            "max_ms": self.slowest,
            "under_target": None if self.median is None or self.heavy else self.median < TARGET_MS,
            "note": self.note,
        }


def _zip_dir(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def uploads(work: Path) -> dict[str, Callable[[], tuple[dict[str, str], dict[str, Any]]]]:
    """The regulator's uploads (field names as the regulator and overlap pages read them)."""
    from qbank import keys
    from workflows.demo import DEMO_INSTITUTION, DEMO_REVIEWER

    demo = work / "demo"
    keystore = demo / "keys"
    institution = keys.export_public(DEMO_INSTITUTION, keystore=keystore)
    reviewer = keys.export_public(DEMO_REVIEWER, keystore=keystore)
    package = _zip_dir(demo / "filings" / f"{OCCUPATION}-{DEMO_LEVEL}")
    export = _zip_dir(demo / "custody")
    big_report = (work / "overlap-big.json").read_bytes()
    demo_report = (demo / f"overlap-{OCCUPATION}-{DEMO_LEVEL}-theory.json").read_bytes()
    items = (work / "bank.csv").read_bytes()
    return {
        "filing": lambda: (
            {"key_text": f"{institution}\n{reviewer}\n"},
            {"package": ("备案包.zip", package, "application/zip")},
        ),
        "custody": lambda: (
            {"key_text": institution},
            {"export": ("保管链.zip", export, "application/zip")},
        ),
        "overlap_view": lambda: (
            {},
            {"report": ("overlap-big.json", big_report, "application/json")},
        ),
        "overlap_demo": lambda: (
            {},
            {"report": ("overlap-theory.json", demo_report, "application/json")},
        ),
        "overlap_items": lambda: (
            {},
            {
                "report": ("overlap-big.json", big_report, "application/json"),
                "items": ("bank.csv", items, "text/csv"),
            },
        ),
    }


def plan(work: Path) -> list[Page]:
    """The URL plan of docs/web.md, with the big bank wherever a page shows a bank."""
    up = uploads(work)
    return [
        Page("home", "reviewer", "/"),
        Page("review", "reviewer", "/review"),
        Page("review_overview", "reviewer", "/review/bank/{big}"),
        Page("review_queue", "reviewer", "/review/bank/{big}/queue"),
        Page("review_queue (last page)", "reviewer", "/review/bank/{big}/queue?page=99999"),
        Page(
            "review_queue (filtered)",
            "reviewer",
            "/review/bank/{big}/queue?type=single&status=draft",
        ),
        Page("review_item", "reviewer", "/review/item/{item}"),
        Page("review_sets (sample bank)", "reviewer", "/review/bank/{demo}/sets"),
        Page("review_pairs", "reviewer", "/review/bank/{big}/pairs"),
        Page("review_pairs (last page)", "reviewer", "/review/bank/{big}/pairs?page=99999"),
        Page("review_pair", "reviewer", "{pair}"),
        Page("verify", "regulator", "/verify"),
        Page("verify_filing (form)", "regulator", "/verify/filing"),
        Page(
            "verify_filing (sample package)",
            "regulator",
            "/verify/filing",
            up["filing"],
            heavy=True,
            note="the whole of qbank filing verify",
        ),
        Page("verify_custody (form)", "regulator", "/verify/custody"),
        Page("verify_custody (demo export)", "regulator", "/verify/custody", up["custody"]),
        Page("verify_overlap (form)", "regulator", "/verify/overlap"),
        Page("verify_overlap (sample report)", "regulator", "/verify/overlap", up["overlap_demo"]),
        Page("verify_overlap (10k report)", "regulator", "/verify/overlap", up["overlap_view"]),
        Page(
            "verify_overlap (10k report + items)",
            "regulator",
            "/verify/overlap",
            up["overlap_items"],
            heavy=True,
            note="re-derives the report from the 10k items",
        ),
        Page("batches", "staff", "/batches"),
        Page("batches (last page)", "staff", "/batches?page=99999"),
        Page("batch (demo chain)", "staff", "/batches/{batch}"),
        Page("batch (planned)", "staff", "/batches/{planned}"),
    ]


def ids(url: str) -> dict[str, str]:
    """The ids the plan's paths name: the banks, an item in the middle of the big bank, the
    demo's batch and the newest planned one."""
    from sqlalchemy import func, select

    from qbank.bank import find_bank
    from qbank.db import open_database
    from qbank.model import Batch, CustodyLayout, Item

    db = open_database(url)
    try:
        with db.transaction() as session:
            big = find_bank(session, OCCUPATION, BIG_LEVEL).id
            demo = find_bank(session, OCCUPATION, DEMO_LEVEL).id
            count = session.scalar(select(func.count(Item.id)).where(Item.bank_id == big)) or 0
            item = session.scalars(
                select(Item.id).where(Item.bank_id == big).order_by(Item.id).offset(count // 2)
            ).first()
            batch = session.scalar(select(CustodyLayout.batch_id))
            planned = session.scalar(
                select(Batch.id).where(Batch.bank_id == big).order_by(Batch.id.desc())
            )
    finally:
        db.dispose()
    return {
        "big": str(big),
        "demo": str(demo),
        "item": str(item),
        "batch": str(batch),
        "planned": str(planned),
    }


PAIR = re.compile(r'href="(/review/bank/\d+/pairs/\d+/\d+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def measure(work: Path, requests: int, upload_requests: int) -> list[Timing]:
    from starlette.testclient import TestClient

    from qbank.db import open_database
    from web.app import create_app
    from web.config import WebConfig
    from workflows.demo import DEMO_REGULATOR, DEMO_REVIEWER, DEMO_STAFF

    url = f"sqlite:///{work / 'demo' / 'qbank.db'}"
    known = ids(url)
    people = {
        "reviewer": DEMO_REVIEWER,
        "regulator": DEMO_REGULATOR,
        "staff": DEMO_STAFF["print"][0],
    }
    db = open_database(url)
    clients: dict[str, TestClient] = {}
    try:
        for who, name in people.items():
            config = WebConfig(acting_person=name)
            client = TestClient(create_app(config, db), base_url=config.origin)
            client.__enter__()
            signed = client.get(f"/auth?token={config.token}", follow_redirects=False)
            if signed.status_code != 303:
                raise SystemExit(f"{who} {name} could not sign in: {signed.status_code}")
            clients[who] = client
        pairs = clients["reviewer"].get(f"/review/bank/{known['big']}/pairs")
        found = PAIR.search(pairs.text) if pairs.status_code == 200 else None
        known["pair"] = found.group(1) if found else ""
        results = []
        for page in plan(work):
            results.append(_time(clients[page.who], page, known, requests, upload_requests))
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        db.dispose()
    return results


def _time(client: Any, page: Page, known: dict[str, str], requests: int, uploads: int) -> Timing:
    path = page.path.format(**known) if "{" in page.path else page.path
    method = "POST" if page.upload else "GET"
    timing = Timing(page.name, page.who, method, path, None, note=page.note, heavy=page.heavy)
    if not path:
        timing.note = "skipped: no pair listed (pair pages not on this checkout?)"
        return timing
    form = client.get(path)
    if form.status_code == 404:
        timing.status = 404
        timing.note = "skipped: not on this checkout"
        return timing

    def once() -> int:
        if page.upload is None:
            return int(client.get(path).status_code)
        fields, files = page.upload()
        found = CSRF.search(form.text)
        data = {"csrf": found.group(1) if found else "", **fields}
        return int(client.post(path, data=data, files=files).status_code)

    timing.status = once()  # warm-up (caches, templates)
    for _ in range(uploads if page.heavy else requests):
        start = time.perf_counter()
        timing.status = once()
        timing.times_ms.append((time.perf_counter() - start) * 1000)
    return timing


# --- the report ------------------------------------------------------------------------------------


def table(results: Sequence[Timing], header: str) -> str:
    lines = [header, ""]
    width = max(len(r.name) for r in results)
    lines.append(
        f"{'page':<{width}}  {'who':<9} {'req':<4} {'status':>6} {'n':>3} "
        f"{'median ms':>10} {'max ms':>8}  < {TARGET_MS:.0f} ms"
    )
    for r in results:
        if r.median is None:
            lines.append(
                f"{r.name:<{width}}  {r.who:<9} {r.method:<4} {r.status or '-':>6} "
                f"{'':>3} {'':>10} {'':>8}  {r.note}"
            )
            continue
        mark = "n/a" if r.heavy else "yes" if r.median < TARGET_MS else "NO"
        lines.append(
            f"{r.name:<{width}}  {r.who:<9} {r.method:<4} {r.status:>6} {len(r.times_ms):>3} "
            f"{r.median:>10.1f} {r.slowest:>8.1f}  {mark}{'  ' + r.note if r.note else ''}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    log = (lambda _m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    db = work / "demo" / "qbank.db"
    built: dict[str, float] = {}
    if not db.exists():
        built = build(work, args.items, args.batches, log)
    else:
        log(f"reusing {db}")
    results = measure(work, args.requests, args.upload_requests)
    return {
        "items": args.items,
        "build_s": built,
        "pages": [r.as_dict() for r in results],
        "timings": results,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--upload-requests", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        out = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="qbank-web-") as folder:
            out = run(args, Path(folder))
    timings = out.pop("timings")
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in out["build_s"].items())
        header = (
            f"qbank serve pages, {args.items} generated items + the sample bank, "
            f"{args.batches} planned batches; {os.cpu_count()} cores; median of "
            f"{args.requests} requests ({args.upload_requests} for whole verifications)"
        )
        print(table(timings, header + (f"\nbuild: {steps}" if steps else "")))
    slow = [p for p in out["pages"] if p["under_target"] is False]
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
