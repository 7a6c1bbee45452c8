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
from typing import Any

from sqlalchemy import select

from cli.printing import batch_documents
from exporters.directory import write_directory
from exporters.items_xlsx import write_items_xlsx
from exporters.overlap_xlsx import write_overlap_xlsx
from exporters.print_run import PRINT_LIST_JSON
from formats.filing_package import read_package, write_package
from importers.dispatch import read_items, read_practical, read_tree
from importers.table_items import read_items_table
from qbank import keys
from qbank.assembly.service import assemble, draw_practical
from qbank.bank import BankSummary, ensure_bank, find_bank, summarize
from qbank.batch import get_batch, new_batch
from qbank.blueprint import load_blueprint
from qbank.confidential import open_for_exam, set_age_recipient
from qbank.custody import export_log, file_product, make_layout, sign_step, verify_files
from qbank.db import open_database
from qbank.errors import ImportRejected, InvalidInput, QbankError
from qbank.filing import file_bank
from qbank.filing_check import TrustedKey, verify_package
from qbank.i18n import tr
from qbank.items import import_items
from qbank.model import PracticalSet
from qbank.overlap.checks import check_practical, check_theory, store_report
from qbank.overlap.report import report_bytes
from qbank.overlap.shown import shown_items
from qbank.people import add_person, get_person, public_key_raw, set_public_key
from qbank.policy import load_policy
from qbank.practical import import_practical
from qbank.review import Decision, all_pending, review
from qbank.text.normalize import format_number
from qbank.tree import current_tree, import_tree
from workflows.sealing import seal_batch_to_dir, unseal_bundle

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
    for stale in ("keys", "filings", "sealed", "print-office", "custody"):
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
                batch_id = _assemble(db, spec, manifest.parent / spec["blueprint"], report)
                _seal_and_custody(db, batch_id, workspace, report)
    finally:
        db.dispose()
    _verify_database(str(db_path), report)
    return result


def _verify_database(path: str, report: Callable[[str], None]) -> None:
    """Last stage: the whole database checks out as `qbank db verify` checks it."""
    from qbank.db import resolve_url
    from qbank.integrity import snapshot, verify_database

    with snapshot(resolve_url(path)) as session:
        outcome = verify_database(session)
    checked = sum(c.checked for c in outcome.counts.values())
    report(tr("demo.db_verified", checked=checked, failures=len(outcome.failures)))
    if not outcome.ok:
        raise QbankError("demo.db_failed", code=outcome.failures[0].code)


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
                workspace / f"overlap-{bank.occupation.code}-{bank.level}-{result.kind}"
            )
            stem.with_suffix(".json").write_bytes(report_bytes(result))
            write_overlap_xlsx(result, shown_items(session, result), stem.with_suffix(".xlsx"))
            report(
                tr(f"overlap.scope.{result.kind}")
                + tr(
                    "demo.overlap",
                    numerator=format_number(result.numerator),
                    denominator=format_number(result.denominator),
                    rate=f"{result.rate:.2%}",
                    cap=f"{result.cap:.0%}",
                    verdict=tr(f"overlap.verdict_{result.verdict}"),
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
        existing = {k.name for k in keys.list_keys(keystore)} if keystore.exists() else set()
        for name, role in ((DEMO_REVIEWER, "reviewer"), (DEMO_INSTITUTION, "institution")):
            person = add_person(session, name, [role], actor=DEMO_ACTOR)
            if name in existing:
                signer = keys.load_signer(name, DEMO_PASSPHRASE, keystore=keystore)
            else:
                signer = keys.generate_signer(name, DEMO_PASSPHRASE, keystore=keystore)
                set_public_key(session, person, signer.public_key_raw, actor=DEMO_ACTOR)
            signers[name] = (person, signer)
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
            write_workbook=write_items_xlsx,
            tree=current_tree(session, bank),
        )
    contents = read_package(out, read_workbook=read_items_table)
    pinned = [  # the demo's own keys: the regulator would pin them with --trusted-key
        TrustedKey(name, signer.public_key_raw, "demo") for name, (_, signer) in signers.items()
    ]
    verdict = verify_package(contents.files, contents.bank_records, trusted=pinned)
    report(
        tr(
            "demo.filed",
            path=str(out),
            root=filing.manifest["merkle_root"][:16],
            verdict=tr("filing.verified" if verdict.ok else "filing.not_verified"),
        )
    )


# The batch's designated people, one per custody step (two sealers: 封存 needs two), the
# exam-day supervisor who opens the papers, and the regulator's escrow. Each has a signing key
# and an age identity in the demo keystore.
DEMO_STAFF = {
    "assemble": ["示例组卷员"],
    "extract": ["示例提取员"],
    "print": ["示例印制员"],
    "transport": ["示例押运员"],
    "seal": ["示例封存员甲", "示例封存员乙"],
}
DEMO_SUPERVISOR, DEMO_REGULATOR = "示例督导员", "示例鉴定中心"
DEMO_COPIES = 3
AGE_HOLDERS = (DEMO_STAFF["print"][0], DEMO_SUPERVISOR, DEMO_REGULATOR)


def _assemble(db, spec: dict, blueprint: Path, report: Callable[[str], None]) -> int:  # type: ignore[no-untyped-def]
    """Stage 4: a batch with designated staff; A/B theory papers and a practical paper.

    Returns the batch id.
    """
    policy = load_policy()
    with db.transaction() as session:
        bank = find_bank(session, spec["occupation"], int(spec["level"]))
        for name in {n for names in DEMO_STAFF.values() for n in names} | {DEMO_SUPERVISOR}:
            add_person(session, name, ["staff"], actor=DEMO_ACTOR)
        batch = new_batch(
            session,
            bank,
            exam_date=date.today(),
            site="示例考点",
            candidates=60,
            staff=DEMO_STAFF,
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
        return batch.id


def _seal_and_custody(db, batch_id: int, workspace: Path, report: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """Stage 5: documents, the sealed bundle and every custody step, then the regulator's
    verification of the exported log without the database.

    组卷 signs the papers; 提取 renders the documents, seals them (age, to the print office and
    the regulator's escrow, signed) and the database keeps the papers only as ciphertext; 印制
    opens the bundle as the print office would and signs the print list; one 传送 leg; two
    sealers sign 封存; on the exam day the supervisor signs 启封, which writes the papers back.
    """
    keystore = workspace / "keys"
    signers: dict[str, keys.Signer] = {}
    with db.transaction() as session:
        batch = get_batch(session, batch_id)
        people = [n for names in DEMO_STAFF.values() for n in names]
        for name in dict.fromkeys([*people, DEMO_SUPERVISOR, DEMO_REGULATOR]):
            person = (
                add_person(session, name, ["regulator"], actor=DEMO_ACTOR)
                if name == DEMO_REGULATOR
                else get_person(session, name)
            )
            signers[name] = keys.generate_signer(name, DEMO_PASSPHRASE, keystore=keystore)
            set_public_key(session, person, signers[name].public_key_raw, actor=DEMO_ACTOR)
            if name in AGE_HOLDERS:  # they decrypt: the bundle, or the papers at the exam
                recipient = keys.generate_age_identity(name, DEMO_PASSPHRASE, keystore=keystore)
                set_age_recipient(session, person, recipient, actor=DEMO_ACTOR)
        institution = get_person(session, DEMO_INSTITUTION)
        make_layout(
            session,
            batch,
            signer_person=institution,
            signer=keys.load_signer(DEMO_INSTITUTION, DEMO_PASSPHRASE, keystore=keystore),
            open_people=[DEMO_SUPERVISOR],
            actor=DEMO_ACTOR,
        )

    def sign(step: str, name: str, **kwargs: Any) -> None:
        with db.transaction() as session:
            signed = sign_step(
                session,
                get_batch(session, batch_id),
                step,
                person=get_person(session, name),
                signer=signers[name],
                actor=DEMO_ACTOR,
                **kwargs,
            )
        report(tr("demo.custody_signed", step=tr(f"custody.step.{step}"), person=name,
                  position=signed.entry.position))  # fmt: skip

    sign("assemble", DEMO_STAFF["assemble"][0])
    sealed_dir = workspace / "sealed"
    shutil.rmtree(sealed_dir, ignore_errors=True)
    with db.transaction() as session:
        batch = get_batch(session, batch_id)
        extractor = get_person(session, DEMO_STAFF["extract"][0])
        printer = get_person(session, DEMO_STAFF["print"][0])
        regulator = get_person(session, DEMO_REGULATOR)
        started = time.perf_counter()
        documents = batch_documents(session, batch, copies=DEMO_COPIES)
        result = seal_batch_to_dir(
            session,
            batch.id,
            documents,
            signer_name=extractor.name,
            signer=signers[extractor.name],
            out_dir=sealed_dir,
            actor=DEMO_ACTOR,
            recipients=[printer.age_recipient or "", regulator.age_recipient or ""],
        )
        sealed = result.papers_sealed
        report(
            tr(
                "demo.sealed",
                bundle=str(result.bundle_path),
                files=len(result.manifest["files"]),
                copies=DEMO_COPIES,
                papers=len(sealed),
                seconds=f"{time.perf_counter() - started:.1f}",
            )
        )
    sign("extract", extractor.name)

    print_office = workspace / "print-office"
    shutil.rmtree(print_office, ignore_errors=True)
    opened = unseal_bundle(
        result.bundle_path,
        result.signature_path,
        identities=[keys.load_age_identity(printer.name, DEMO_PASSPHRASE, keystore=keystore)],
        trusted_keys={extractor.name: signers[extractor.name].public_key_raw},
        out_dir=print_office,
    )
    report(tr("demo.unsealed", path=str(opened.out_dir), files=len(opened.files)))
    print_list = print_office / "documents" / PRINT_LIST_JSON
    sign(
        "print",
        printer.name,
        products=[file_product(print_list.name, print_list.read_bytes())],
        evidence={"copies": str(DEMO_COPIES)},
    )
    sign("transport", DEMO_STAFF["transport"][0],
         evidence={"from": "示例印制点", "to": "示例考点", "vehicle": "示A·00001"})  # fmt: skip
    for name in DEMO_STAFF["seal"]:  # both sealers sign the same sealed envelope
        sign("seal", name, evidence={"seal_no": "DEMO-0001"})

    with db.transaction() as session:
        batch = get_batch(session, batch_id)
        sign_open = sign_step(
            session,
            batch,
            "open",
            person=get_person(session, DEMO_SUPERVISOR),
            signer=signers[DEMO_SUPERVISOR],
            actor=DEMO_ACTOR,
        )
        identity = keys.load_age_identity(DEMO_SUPERVISOR, DEMO_PASSPHRASE, keystore=keystore)
        reopened = open_for_exam(session, batch, identities=[identity], actor=DEMO_ACTOR)
        report(tr("demo.opened", position=sign_open.entry.position, papers=len(reopened)))
        files = export_log(session, batch)
        institution_key = public_key_raw(get_person(session, DEMO_INSTITUTION))
    custody_dir = workspace / "custody"
    write_directory(custody_dir, files, private=False)
    exported = {
        p.relative_to(custody_dir).as_posix(): p.read_bytes()
        for p in sorted(custody_dir.rglob("*"))
        if p.is_file()
    }
    verdict = verify_files(exported, trusted_key=institution_key)
    report(tr("demo.custody_verified", path=str(custody_dir), verdict=verdict.message,
              entries=verdict.size))  # fmt: skip


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
