"""The demo: every stage of the product on the sample banks, as a script of workflow calls.

Each stage is what an institution does with the commands (import, overlap check, review and
filing, assembly, sealing, the custody chain, database verification), run through the same
workflows the commands call. `run_demo` returns every verdict it reaches and stops at the
first that is not VALID/PASS; `qbank demo` prints them and fails then. The test fixtures
build the filed sample bank with the stages `import_bank`, `check_bank_overlap` and
`review_and_file`.
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
from sqlalchemy.orm import Session

from exporters.print_run import PRINT_LIST_JSON
from qbank import access, keys
from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.assembly.service import assemble, draw_practical
from qbank.bank import BankSummary, find_bank
from qbank.batch import get_batch, new_batch
from qbank.blueprint import load_blueprint
from qbank.confidential import set_age_recipient
from qbank.custody import make_layout
from qbank.db import open_database, resolve_url
from qbank.errors import InvalidInput
from qbank.filing import NotCompliant
from qbank.filing_check import TrustedKey
from qbank.i18n import tr
from qbank.integrity import snapshot, verify_database
from qbank.model import Batch, PracticalSet
from qbank.people import add_person, get_person, public_key_raw, set_public_key
from qbank.policy import load_policy
from qbank.review import Decision, all_pending, review
from qbank.text.normalize import format_number
from workflows.custody import export_custody, sign_custody_step, verify_custody_export
from workflows.filing import file_bank_package, verify_filing
from workflows.importing import (
    BankFiles,
    FileImported,
    ItemsImported,
    PracticalImported,
    TreeImported,
    import_bank_files,
    new_bank,
)
from workflows.overlap import Scope, check_overlap
from workflows.printing import batch_documents, pdf_unavailable
from workflows.sealing import SealedToDir, seal_batch_to_dir, unseal_bundle
from workflows.types import BankRef, Transaction

DEMO_ACTOR = "qbank-demo"
DEMO_PASSPHRASE = "qbank-demo-only"
"""The demo's key passphrase: demo keys protect nothing and live in the demo workspace."""
DEMO_REVIEWER, DEMO_INSTITUTION = "示例审题专家", "示例评价机构"
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

Report = Callable[[str], None]
"""Where the demo's progress lines go (the CLI prints them as they come)."""


@dataclass(frozen=True)
class DemoBank:
    """One sample bank as its `bank.toml` lists it: its files, and the blueprint (relative to
    the bank's folder) whose batch the demo assembles, seals and carries through custody."""

    files: BankFiles
    blueprint: Path | None = None

    @classmethod
    def load(cls, manifest: Path) -> DemoBank:
        """Read `manifest` (a `bank.toml`). Raises InvalidInput when it is malformed."""
        try:
            spec = tomllib.loads(manifest.read_text(encoding="utf-8"))
            bank = BankRef(str(spec["occupation"]), int(spec["level"]), spec.get("name"))
            lists = {k: tuple(map(str, spec.get(k, []))) for k in ("tree", "items", "practical")}
            blueprint = manifest.parent / str(spec["blueprint"]) if "blueprint" in spec else None
        except KeyError as e:
            reason = tr("demo.manifest_key", key=e.args[0])
            raise InvalidInput("demo.bad_manifest", path=str(manifest), reason=reason) from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError, ValueError) as e:
            raise InvalidInput("demo.bad_manifest", path=str(manifest), reason=str(e)) from None
        return cls(BankFiles(manifest.parent, bank, **lists), blueprint)


@dataclass(frozen=True)
class DemoVerdict:
    """One verdict the demo shows: `check` (overlap_theory, overlap_practical, compliance,
    filing, custody, database), what it was about, and PASS/FAIL or VALID/INVALID/INCOMPLETE."""

    check: str
    subject: str
    verdict: str

    @property
    def ok(self) -> bool:
        return self.verdict in ("PASS", "VALID")


@dataclass
class DemoResult:
    db_path: Path
    banks: list[BankSummary] = field(default_factory=list)
    verdicts: list[DemoVerdict] = field(default_factory=list)

    @property
    def failed(self) -> DemoVerdict | None:
        """The verdict that stopped the demo, if one did."""
        return next((v for v in self.verdicts if not v.ok), None)


def run_demo(
    workspace: Path, samples: Path, report: Report, *, pdf: bool | None = None
) -> DemoResult:
    """Create `workspace/qbank.db` afresh and run every stage on each bank listed in
    `samples/*/bank.toml`, then verify the whole database; stop at the first failed verdict.
    `pdf`: the print run's PDF masters (`workflows.printing.batch_documents`; None: when
    LibreOffice is installed, and a line saying why not otherwise).

    Side effects: deletes and recreates `workspace/qbank.db`, `workspace/keys/` (demo keys
    under the demo passphrase), the reports, filing packages, sealed bundle, print office
    and custody export; reads the sample files.
    """
    manifests = sorted(samples.glob("*/bank.toml"))
    if not manifests:
        raise InvalidInput("demo.no_samples", path=str(samples))
    banks = [DemoBank.load(m) for m in manifests]
    workspace.mkdir(parents=True, exist_ok=True)
    db_path = workspace / "qbank.db"
    db_path.unlink(missing_ok=True)
    for stale in ("keys", "filings", "sealed", "print-office", "custody"):
        shutil.rmtree(workspace / stale, ignore_errors=True)
    result = DemoResult(db_path=db_path)

    def passed(*verdicts: DemoVerdict) -> bool:
        result.verdicts.extend(verdicts)
        return result.failed is None

    db = open_database(str(db_path))
    try:
        for bank in banks:
            result.banks.append(import_bank(db.transaction, bank.files, report))
            if not passed(*check_bank_overlap(db.transaction, bank.files.bank, workspace, report)):
                return result
            if not passed(*review_and_file(db.transaction, bank.files.bank, workspace, report)):
                return result
            if bank.blueprint is not None:
                batch_id = assemble_batch(db.transaction, bank.files.bank, bank.blueprint, report)
                verdict = custody_chain(db.transaction, batch_id, workspace, report, pdf=pdf)
                if not passed(verdict):
                    return result
    finally:
        db.dispose()
    passed(verify_whole_database(db_path, report))
    return result


def import_bank(transaction: Transaction, files: BankFiles, report: Report) -> BankSummary:
    """Stage 1: the bank (`qbank bank new`), its tree, items and practical sets, as
    `qbank import` stores them."""
    bank = files.bank
    new_bank(transaction, bank, actor=DEMO_ACTOR)
    report(
        tr(
            "demo.bank",
            name=bank.name or bank.occupation,
            occupation=bank.occupation,
            level=bank.level,
        )
    )

    def imported(done: FileImported) -> None:
        if isinstance(done, TreeImported):
            report(tr("cli.tree_imported", file=done.file.name, **done.summary.as_dict()))
        elif isinstance(done, ItemsImported):
            rate = done.records / done.seconds if done.seconds else 0.0
            report(
                tr("cli.items_imported", file=done.file.name, **done.summary.as_dict())
                + tr("demo.rate", seconds=f"{done.seconds:.2f}", rate=f"{rate:.0f}")
            )
        elif isinstance(done, PracticalImported):
            for path, summary in done.files:
                report(tr("cli.practical_imported", file=path.name, **summary.as_dict()))

    return import_bank_files(transaction, files, actor=DEMO_ACTOR, on_file=imported).summary


def check_bank_overlap(
    transaction: Transaction, bank: BankRef, workspace: Path, report: Report
) -> list[DemoVerdict]:
    """Stage 2: content repetition within the bank and between its practical sets, as
    `qbank overlap check` runs it; writes `overlap-<occupation>-<level>-<scope>.json` (for
    `qbank overlap verify`) and the reviewer's `.xlsx` into `workspace`."""
    policy = load_policy()
    verdicts = []
    scopes: tuple[Scope, ...] = ("theory", "practical")
    for scope in scopes:
        stem = workspace / f"overlap-{bank.occupation}-{bank.level}-{scope}"
        checked = check_overlap(
            transaction,
            bank,
            scope,
            policy,
            actor=DEMO_ACTOR,
            out=stem.with_suffix(".json"),
            xlsx=stem.with_suffix(".xlsx"),
        )
        result = checked.report
        report(
            tr(f"overlap.scope.{scope}")
            + tr(
                "demo.overlap",
                numerator=format_number(result.numerator),
                denominator=format_number(result.denominator),
                rate=f"{result.rate:.2%}",
                cap=f"{result.cap:.0%}",
                verdict=tr(f"overlap.verdict_{result.verdict}"),
            )
        )
        report(tr("demo.files", json=str(checked.json_path), xlsx=str(checked.xlsx_path)))
        verdicts.append(
            DemoVerdict(f"overlap_{scope}", _bank_name(bank), "PASS" if checked.passed else "FAIL")
        )
    return verdicts


def review_and_file(
    transaction: Transaction, bank: BankRef, workspace: Path, report: Report
) -> list[DemoVerdict]:
    """Stage 3: a reviewer approves everything (signed), the institution files the bank
    (`qbank bank file`), and the package is verified as a regulator would, without the
    database (`qbank filing verify`), against the demo's own keys pinned.

    Writes the keys into `workspace/keys` and the package into `workspace/filings/`.
    """
    keystore = workspace / "keys"
    signers = _reviewer_and_institution(transaction, bank, keystore, report)
    out = workspace / "filings" / f"{bank.occupation}-{bank.level}"
    subject = _bank_name(bank)
    try:
        written = file_bank_package(
            transaction,
            bank,
            out,
            reviewers=[DEMO_REVIEWER],
            institution=DEMO_INSTITUTION,
            key_source=signers.__getitem__,
            policy=load_policy(),
            actor=DEMO_ACTOR,
        )
    except NotCompliant as refused:
        report(str(refused))
        return [DemoVerdict("compliance", subject, "FAIL")]
    compliant = written.filing.manifest["compliance"]["compliant"]
    pinned = [TrustedKey(name, s.public_key_raw, "demo") for name, s in signers.items()]
    verdict = verify_filing(out, trusted=pinned).verdict
    report(
        tr(
            "demo.filed",
            path=str(out),
            root=written.merkle_root[:16],
            verdict=tr("filing.verified" if verdict.ok else "filing.not_verified"),
        )
    )
    return [
        DemoVerdict("compliance", subject, "PASS" if compliant else "FAIL"),
        DemoVerdict("filing", subject, verdict.status),
    ]


def _reviewer_and_institution(
    transaction: Transaction, bank: BankRef, keystore: Path, report: Report
) -> dict[str, keys.Signer]:
    """The demo reviewer and institution with keys (made once per workspace), and the
    reviewer's signed approval of every pending item and practical set of `bank`."""
    signers = {}
    with transaction() as session:
        target = find_bank(session, bank.occupation, bank.level)
        existing = {k.name for k in keys.list_keys(keystore)} if keystore.exists() else set()
        people = {}
        for name, role in ((DEMO_REVIEWER, "reviewer"), (DEMO_INSTITUTION, "institution")):
            people[name] = add_person(session, name, [role], actor=DEMO_ACTOR)
            if name in existing:
                signers[name] = keys.load_signer(name, DEMO_PASSPHRASE, keystore=keystore)
            else:
                signers[name] = keys.generate_signer(name, DEMO_PASSPHRASE, keystore=keystore)
                set_public_key(
                    session, people[name], signers[name].public_key_raw, actor=DEMO_ACTOR
                )
        reviewer = people[DEMO_REVIEWER]
        # `qbank serve --as <reviewer>` on the demo's workspace shows this bank at once.
        access.grant(session, reviewer, target, actor=DEMO_ACTOR)
        decisions = all_pending(session, target, reviewer)
        decisions += [
            Decision("approved", set_code=code)
            for code in session.scalars(
                select(PracticalSet.code).where(PracticalSet.bank_id == target.id)
            )
        ]
        done = review(
            session, target, reviewer, signers[DEMO_REVIEWER], decisions, actor=DEMO_ACTOR
        )
    report(tr("demo.reviewed", reviewer=DEMO_REVIEWER, **done.as_dict()))
    return signers


def plan_batch(session: Session, bank: BankRef, *, site: str) -> Batch:
    """Today's batch of `bank` at `site` for 60 candidates, the demo's staff designated
    (registered first): `qbank batch new` as the demo runs it."""
    target = find_bank(session, bank.occupation, bank.level)
    for name in {n for names in DEMO_STAFF.values() for n in names} | {DEMO_SUPERVISOR}:
        add_person(session, name, ["staff"], actor=DEMO_ACTOR)
    return new_batch(
        session,
        target,
        exam_date=date.today(),
        site=site,
        candidates=60,
        staff=DEMO_STAFF,
        actor=DEMO_ACTOR,
    )


def assemble_batch(transaction: Transaction, bank: BankRef, blueprint: Path, report: Report) -> int:
    """Stage 4: a batch with designated staff; A/B theory papers and a practical paper
    (`qbank batch new`, `qbank assemble`). Returns the batch id."""
    policy = load_policy()
    with transaction() as session:
        batch = plan_batch(session, bank, site="示例考点")
        seed, papers = assemble(
            session, batch, load_blueprint(blueprint), ["A", "B"], policy, actor=DEMO_ACTOR
        )
        practical = draw_practical(session, batch, policy, actor=DEMO_ACTOR, seed=seed)
        a, b = (set(PaperLayout.from_json(p.layout).items) for p in papers)
        report(
            tr(
                "demo.assembled",
                batch=batch.code,
                seed=seed,
                shared=len(a & b),
                items=len(a),
                practical=PracticalLayout.from_json(practical.layout).set,
            )
        )
        return batch.id


def custody_chain(
    transaction: Transaction,
    batch_id: int,
    workspace: Path,
    report: Report,
    *,
    pdf: bool | None = None,
) -> DemoVerdict:
    """Stage 5: documents, the sealed bundle and every custody step, then the regulator's
    verification of the exported log without the database.

    组卷 signs the papers; 提取 renders the documents, seals them (age, to the print office and
    the regulator's escrow, signed) and the database keeps the papers only as ciphertext; 印制
    opens the bundle as the print office would and signs the print list; one 传送 leg; two
    sealers sign 封存; on the exam day the supervisor signs 启封, which writes the papers back.
    """
    keystore = workspace / "keys"
    signers = _custody_people(transaction, batch_id, keystore)

    def sign(step: str, name: str, **kwargs: Any) -> None:
        done = sign_custody_step(
            transaction,
            batch_id,
            step,
            name,
            key_source=signers.__getitem__,
            actor=DEMO_ACTOR,
            **kwargs,
        )
        if step == "open":
            report(tr("demo.opened", position=done.signed.entry.position, papers=len(done.opened)))
        else:
            report(
                tr(
                    "demo.custody_signed",
                    step=tr(f"custody.step.{step}"),
                    person=name,
                    position=done.signed.entry.position,
                )
            )

    sign("assemble", DEMO_STAFF["assemble"][0])
    sealed = _seal(transaction, batch_id, signers, workspace / "sealed", report, pdf=pdf)
    sign("extract", DEMO_STAFF["extract"][0])
    print_office = _unseal(sealed, signers, keystore, workspace / "print-office", report)
    print_list = print_office / "documents" / PRINT_LIST_JSON
    sign(
        "print",
        DEMO_STAFF["print"][0],
        product_files=[print_list],
        evidence={"copies": str(DEMO_COPIES)},
    )
    sign(
        "transport",
        DEMO_STAFF["transport"][0],
        evidence={"from": "示例印制点", "to": "示例考点", "vehicle": "示A·00001"},
    )
    for name in DEMO_STAFF["seal"]:  # both sealers sign the same sealed envelope
        sign("seal", name, evidence={"seal_no": "DEMO-0001"})
    identity = keys.load_age_identity(DEMO_SUPERVISOR, DEMO_PASSPHRASE, keystore=keystore)
    sign("open", DEMO_SUPERVISOR, identities=[identity])

    with transaction() as session:
        institution_key = public_key_raw(get_person(session, DEMO_INSTITUTION))
    custody_dir = workspace / "custody"
    export_custody(transaction, batch_id, custody_dir)
    verdict = verify_custody_export(custody_dir, trusted_key=institution_key)
    report(
        tr(
            "demo.custody_verified",
            path=str(custody_dir),
            verdict=verdict.message,
            entries=verdict.size,
        )
    )
    with transaction() as session:
        code = get_batch(session, batch_id).code
    return DemoVerdict("custody", code, verdict.status)


def _custody_people(
    transaction: Transaction, batch_id: int, keystore: Path
) -> dict[str, keys.Signer]:
    """Keys for the batch's staff, the supervisor and the regulator (age identities for those
    who decrypt), and the custody layout the institution signs."""
    signers: dict[str, keys.Signer] = {}
    with transaction() as session:
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
        make_layout(
            session,
            batch,
            signer_person=get_person(session, DEMO_INSTITUTION),
            signer=keys.load_signer(DEMO_INSTITUTION, DEMO_PASSPHRASE, keystore=keystore),
            open_people=[DEMO_SUPERVISOR],
            actor=DEMO_ACTOR,
        )
    return signers


# --- sealing: the same flow as `qbank seal` / `qbank unseal` (workflows.sealing)


def _seal(
    transaction: Transaction,
    batch_id: int,
    signers: dict[str, keys.Signer],
    out: Path,
    report: Report,
    *,
    pdf: bool | None,
) -> SealedToDir:
    """提取: the batch's documents sealed to the print office and the regulator's escrow,
    signed by the extractor; the papers in the database become ciphertext."""
    shutil.rmtree(out, ignore_errors=True)
    missing = pdf_unavailable() if pdf is None else None
    if missing is not None:
        report(tr("print.no_pdf", tool=missing))
    with transaction() as session:
        batch = get_batch(session, batch_id)
        extractor = get_person(session, DEMO_STAFF["extract"][0])
        printer = get_person(session, DEMO_STAFF["print"][0])
        regulator = get_person(session, DEMO_REGULATOR)
        started = time.perf_counter()
        documents = batch_documents(session, batch, copies=DEMO_COPIES, pdf=pdf)
        result = seal_batch_to_dir(
            session,
            batch.id,
            documents,
            signer_name=extractor.name,
            signer=signers[extractor.name],
            out_dir=out,
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
    return result


def _unseal(
    sealed: SealedToDir,
    signers: dict[str, keys.Signer],
    keystore: Path,
    out: Path,
    report: Report,
) -> Path:
    """The print office opens the bundle with its age identity, trusting the extractor's key.
    Returns the directory it was opened into."""
    shutil.rmtree(out, ignore_errors=True)
    printer, extractor = DEMO_STAFF["print"][0], DEMO_STAFF["extract"][0]
    opened = unseal_bundle(
        sealed.bundle_path,
        sealed.signature_path,
        identities=[keys.load_age_identity(printer, DEMO_PASSPHRASE, keystore=keystore)],
        trusted_keys={extractor: signers[extractor].public_key_raw},
        out_dir=out,
    )
    report(tr("demo.unsealed", path=str(opened.out_dir), files=len(opened.files)))
    return opened.out_dir


def verify_whole_database(db_path: Path, report: Report) -> DemoVerdict:
    """Last stage: the whole database checks out as `qbank db verify` checks it."""
    with snapshot(resolve_url(str(db_path))) as session:
        outcome = verify_database(session)
    checked = sum(c.checked for c in outcome.counts.values())
    report(tr("demo.db_verified", checked=checked, failures=len(outcome.failures)))
    return DemoVerdict("database", str(db_path), "PASS" if outcome.ok else "FAIL")


def _bank_name(bank: BankRef) -> str:
    return f"{bank.occupation} {bank.level}"
