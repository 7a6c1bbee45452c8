"""The end-to-end demo pipeline: sample files in, every engine stage, documents out.

Each stage of the product adds its step here (import, overlap; review, filing, assembly and
sealing as they land), so `qbank demo` always shows the whole chain on real files. It lives
beside the CLI, not in `qbank/`, because it reads and writes files through importers and
exporters.
"""

from __future__ import annotations

import shutil
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from exporters.filing_package import write_package
from exporters.overlap_xlsx import write_overlap_xlsx
from importers.dispatch import read_items, read_practical, read_tree
from importers.filing_package import read_package
from qbank import keys
from qbank.assembly.service import assemble, draw_practical
from qbank.bank import BankSummary, ensure_bank, find_bank, summarize
from qbank.batch import STEPS, new_batch
from qbank.blueprint import load_blueprint
from qbank.db import open_database
from qbank.errors import ImportRejected, InvalidInput
from qbank.filing import file_bank
from qbank.filing_check import verify_package
from qbank.i18n import tr
from qbank.items import import_items
from qbank.model import PracticalSet
from qbank.overlap.report import report_bytes
from qbank.overlap.scopes import check_practical, check_theory, shown_items, store_report
from qbank.people import add_person, set_public_key
from qbank.policy import load_policy
from qbank.practical import import_practical
from qbank.review import Decision, all_pending, review
from qbank.text.normalize import format_number
from qbank.tree import import_tree

DEMO_ACTOR = "qbank-demo"


def sample_dir() -> Path:
    """`samples/` beside the installed packages (an editable install or a checkout)."""
    return Path(__file__).resolve().parent.parent / "samples"


@dataclass
class DemoResult:
    db_path: Path
    banks: list[BankSummary] = field(default_factory=list)


def run_demo(workspace: Path, samples: Path, report: Callable[[str], None]) -> DemoResult:
    """Create `workspace/qbank.db` afresh and import every bank listed in `samples/*/bank.toml`.

    Side effects: deletes and recreates `workspace/qbank.db`, `workspace/keys/` (demo keys
    under the demo passphrase) and the filing packages; reads the sample files.
    """
    manifests = sorted(samples.glob("*/bank.toml"))
    if not manifests:
        raise InvalidInput("demo.no_samples", path=str(samples))
    workspace.mkdir(parents=True, exist_ok=True)
    db_path = workspace / "qbank.db"
    db_path.unlink(missing_ok=True)
    for stale in ("keys", "filings"):
        shutil.rmtree(workspace / stale, ignore_errors=True)
    db = open_database(str(db_path))
    result = DemoResult(db_path=db_path)
    try:
        for manifest in manifests:
            spec = tomllib.loads(manifest.read_text(encoding="utf-8"))
            result.banks.append(_import_bank(db, manifest.parent, spec, report))
            _check_overlap(db, spec, workspace, report)
            _review_and_file(db, spec, workspace, report)
            if "blueprint" in spec:
                _assemble(db, spec, manifest.parent / spec["blueprint"], report)
    finally:
        db.dispose()
    return result


def _check_overlap(db, spec: dict, workspace: Path, report: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """Stage 2: content repetition within the bank and between its practical sets.

    Writes `overlap-<occupation>-<level>-<scope>.json` (for `qbank overlap verify`) and the
    reviewer's `.xlsx` beside the database.
    """
    policy = load_policy()
    with db.transaction() as session:
        bank = find_bank(session, spec["occupation"], int(spec["level"]))
        for check in (check_theory, check_practical):
            result = check(session, bank, policy, actor=DEMO_ACTOR)
            store_report(session, bank, result, actor=DEMO_ACTOR)
            stem = (
                workspace / f"overlap-{bank.occupation.code}-{bank.level}-{result['scope']['kind']}"
            )
            stem.with_suffix(".json").write_bytes(report_bytes(result))
            write_overlap_xlsx(result, shown_items(session, result), stem.with_suffix(".xlsx"))
            report(
                tr(f"overlap.scope.{result['scope']['kind']}")
                + tr(
                    "demo.overlap",
                    numerator=format_number(result["numerator"]),
                    denominator=format_number(result["denominator"]),
                    rate=f"{result['rate']:.2%}",
                    cap=f"{result['cap']:.0%}",
                    verdict=tr(f"overlap.verdict_{result['verdict']}"),
                )
            )
            report(
                tr(
                    "demo.files",
                    json=str(stem.with_suffix(".json")),
                    xlsx=str(stem.with_suffix(".xlsx")),
                )
            )


DEMO_PASSPHRASE = "qbank-demo-only"
"""The demo's key passphrase: demo keys protect nothing and live in the demo workspace."""
DEMO_REVIEWER, DEMO_INSTITUTION = "示例审题专家", "示例评价机构"


def _review_and_file(db, spec: dict, workspace: Path, report: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """Stage 3: a reviewer approves everything (signed), the bank is checked and filed, and
    the package is verified as a regulator would, without the database."""
    keystore = workspace / "keys"
    policy = load_policy()
    with db.transaction() as session:
        bank = find_bank(session, spec["occupation"], int(spec["level"]))
        signers = {}
        for name, role in ((DEMO_REVIEWER, "reviewer"), (DEMO_INSTITUTION, "institution")):
            person = add_person(session, name, [role], actor=DEMO_ACTOR)
            if not (keystore / "x").parent.exists() or name not in {
                k.name for k in keys.list_keys(keystore)
            }:
                info = keys.generate(name, DEMO_PASSPHRASE, keystore=keystore)
                set_public_key(session, person, info.public_key_raw, actor=DEMO_ACTOR)
            signers[name] = (person, keys.load_signer(name, DEMO_PASSPHRASE, keystore=keystore))
        reviewer, reviewer_signer = signers[DEMO_REVIEWER]
        decisions = all_pending(session, bank, reviewer)
        decisions += [
            Decision("approved", set_code=code)
            for code in session.scalars(
                select(PracticalSet.code).where(PracticalSet.bank_id == bank.id)
            )
        ]
        done = review(session, bank, reviewer, reviewer_signer, decisions, actor=DEMO_ACTOR)
        report(tr("demo.reviewed", reviewer=DEMO_REVIEWER, **done.as_dict()))
        org, org_signer = signers[DEMO_INSTITUTION]
        filing = file_bank(
            session,
            bank,
            policy,
            institution=org,
            institution_signer=org_signer,
            reviewers=[(reviewer, reviewer_signer)],
            actor=DEMO_ACTOR,
        )
        out = workspace / "filings" / f"{bank.occupation.code}-{bank.level}"
        write_package(
            filing,
            out,
            signers=[
                (reviewer.name, "reviewer", reviewer.key_fingerprint or "", reviewer_signer),
                (org.name, "institution", org.key_fingerprint or "", org_signer),
            ],
        )
    contents = read_package(out)
    verdict = verify_package(contents.files, contents.bank_records)
    report(
        tr(
            "demo.filed",
            path=str(out),
            root=filing.manifest["merkle_root"][:16],
            verdict=tr("filing.verified" if verdict.ok else "filing.not_verified"),
        )
    )


DEMO_STAFF = "示例考务人员"


def _assemble(db, spec: dict, blueprint: Path, report: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """Stage 4: a batch with designated staff; A/B theory papers and a practical paper."""
    policy = load_policy()
    with db.transaction() as session:
        bank = find_bank(session, spec["occupation"], int(spec["level"]))
        add_person(session, DEMO_STAFF, ["staff"], actor=DEMO_ACTOR)
        batch = new_batch(
            session,
            bank,
            exam_date=date.today(),
            site="示例考点",
            candidates=60,
            staff={step: [DEMO_STAFF] for step in STEPS},
            actor=DEMO_ACTOR,
        )
        seed, papers = assemble(
            session, batch, load_blueprint(blueprint), ["A", "B"], policy, actor=DEMO_ACTOR
        )
        practical = draw_practical(session, batch, policy, actor=DEMO_ACTOR, seed=seed)
        a, b = (set(p.layout["items"]) for p in papers)
        report(
            tr(
                "demo.assembled",
                batch=batch.code,
                seed=seed,
                shared=len(a & b),
                items=len(a),
                practical=practical.layout["set"],
            )
        )


def _import_bank(db, folder: Path, spec: dict, report: Callable[[str], None]) -> BankSummary:  # type: ignore[no-untyped-def]
    occupation, level = spec["occupation"], int(spec["level"])
    report(tr("demo.bank", name=spec.get("name", occupation), occupation=occupation, level=level))
    with db.transaction() as session:
        bank = ensure_bank(
            session, occupation, level, actor=DEMO_ACTOR, occupation_name=spec.get("name")
        )
        for name in spec.get("tree", []):
            parsed = read_tree(folder / name)
            s = import_tree(
                session,
                bank,
                parsed.records,
                source=name,
                actor=DEMO_ACTOR,
                parse_problems=parsed.problems,
            )
            report(tr("cli.tree_imported", file=name, **s.as_dict()))
        for name in spec.get("items", []):
            started = time.perf_counter()
            parsed = read_items(folder / name)
            s = import_items(
                session,
                bank,
                parsed.records,
                source=name,
                actor=DEMO_ACTOR,
                parse_problems=parsed.problems,
            )
            seconds = time.perf_counter() - started
            rate = len(parsed.records) / seconds if seconds else 0.0
            report(
                tr("cli.items_imported", file=name, **s.as_dict())
                + tr("demo.rate", seconds=f"{seconds:.2f}", rate=f"{rate:.0f}")
            )
        practical = [folder / name for name in spec.get("practical", [])]
        for path in practical:
            parsed = read_practical(path)
            if parsed.problems:
                raise ImportRejected(path.name, parsed.problems)
            ps = import_practical(session, bank, parsed.records, source=path.name, actor=DEMO_ACTOR)
            report(tr("cli.practical_imported", file=path.name, **ps.as_dict()))
        return summarize(session, bank)
