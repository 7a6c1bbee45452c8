"""Assemble the papers of a batch from the bank's filed versions, validate them, store them.

One run: lock the bank (two staff assembling batches of the same bank at the same moment are
serialised, so together they cannot break the exposure or overlap caps) → filed versions as
candidates → near-duplicate pairs as enemies → recent papers as history → the blueprint's
supply check → CP-SAT → the independent validator → stored papers. Randomness comes from a
seed drawn from the operating system's CSPRNG unless given; it is stored with the papers, so
the same seed, filed snapshot and blueprint give the same papers.

Papers of sealed batches (`qbank.confidential`) count in the history, exposure and practical
draws as before: their compositions are decrypted with the `identities` the caller passes
(a `Keyring`), and reading one without identities is refused with a clear error.
"""

from __future__ import annotations

import functools
import random
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from importlib import metadata
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from qbank import audit
from qbank.assembly.candidates import Candidate, Caps, ranges_of
from qbank.assembly.conflicts import Conflict, conflict_text
from qbank.assembly.filed import filed_items, filed_sets
from qbank.assembly.layout import LayoutSection, PaperLayout, PracticalLayout
from qbank.assembly.validate import Violation, validate_papers
from qbank.blueprint import (
    Blueprint,
    DifficultyBand,
    Section,
    WeightRule,
    check_against_bank,
    check_blueprint,
)
from qbank.bulk import insert_many
from qbank.canonical import content_id, sha256_hex
from qbank.confidential import Identities, Keyring, clear_composition, composition, is_sealed
from qbank.content import ItemContent
from qbank.errors import InvalidInput, NotFound, QbankError
from qbank.gcpause import gc_paused
from qbank.i18n import tr
from qbank.model import (
    Adjudication,
    Bank,
    Base,
    Batch,
    KnowledgeNode,
    Paper,
    PaperItem,
)
from qbank.policy import Policy
from qbank.queries import neighbour_batches, neighbour_papers

if TYPE_CHECKING:  # the solver (ortools) is loaded only by a run that solves
    from qbank.assembly.solver import Paper as SolvedPaper

PapersSolved = Callable[[int, int], None]
"""Called as the search advances: papers solved so far, papers in all."""


class AssemblyInfeasible(QbankError):
    """The requirements cannot all be met: `reasons` say which, in the user's terms;
    `conflicts` are the solver's, as data (empty when a check before the solver refused)."""

    def __init__(self, reasons: Sequence[str], conflicts: Sequence[Conflict] = ()) -> None:
        self.reasons = list(reasons)
        self.conflicts = list(conflicts)
        super().__init__("assembly.infeasible", reasons="；".join(self.reasons))


class AssemblyInvalid(QbankError):
    """The solver produced a paper the independent validator rejects (a bug, never stored)."""

    def __init__(self, details: Sequence[str]) -> None:
        super().__init__("assembly.invalid", details="；".join(details))


def lock_bank(session: Session, bank: Bank) -> None:
    """Serialise assembly per bank until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on the bank id. SQLite: taking the database
    write lock now (a no-op UPDATE), so a second writer waits for this transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_000_000 + bank.id})
    else:
        session.execute(update(Bank).where(Bank.id == bank.id).values(level=Bank.level))


@dataclass
class Context:
    candidates: list[Candidate]
    enemies: list[tuple[int, int]]
    history: list[frozenset[int]]
    versions: list[ItemContent]  # the filed versions' verified content, in candidate order
    version_rows: dict[int, int]  # item id -> filed ItemVersion row id


def _context(
    session: Session,
    bank: Bank,
    batch: Batch,
    bp: Blueprint,
    policy: Policy,
    keyring: Keyring,
    consequence: str = "assemble",
) -> Context:
    """Candidates, their near-duplicate pairs and the neighbouring papers' item sets."""
    ctx = _candidates(session, bank, batch, bp, keyring, consequence)
    ctx.enemies = _enemies(session, bank, ctx, policy)
    ctx.history = _history(session, batch, policy, keyring)
    return ctx


def _candidates(
    session: Session,
    bank: Bank,
    batch: Batch,
    bp: Blueprint,
    keyring: Keyring,
    consequence: str = "assemble",
) -> Context:
    """The filed versions as candidates, each re-hashed to its id and checked against the
    filing's manifest first (ContentTampered with `consequence` otherwise)."""
    filed = filed_items(session, bank, consequence=consequence)
    versions = [content for _, content in filed]
    if not versions:
        raise InvalidInput("assembly.nothing_filed")
    importance = {}
    if bank.tree_version_id is not None:
        importance = dict(
            session.execute(
                select(KnowledgeNode.code, KnowledgeNode.importance).where(
                    KnowledgeNode.tree_version_id == bank.tree_version_id,
                    KnowledgeNode.importance.is_not(None),
                )
            ).all()
        )
    since = batch.exam_date - timedelta(days=bp.exposure_window_days)
    exposure = _exposure(session, bank, batch, since, keyring)
    candidates = [
        Candidate(
            item_id=v.item_id,
            version=v.version,
            type=v.type,
            knowledge_code=v.knowledge_code,
            ranges=ranges_of(v.knowledge_code),
            importance=importance.get(v.knowledge_code or ""),
            difficulty=v.difficulty,
            exposure=exposure.get(v.item_id, 0),
            option_letters=tuple(v.options),
        )
        for v in versions
    ]
    return Context(candidates, [], [], versions, {v.item_id: row for row, v in filed})


def _exposure(
    session: Session, bank: Bank, batch: Batch, since: date, keyring: Keyring
) -> Counter[int]:
    """Uses of each item in the bank's other batches from `since` on, sealed papers included."""
    window = (Batch.bank_id == bank.id, Batch.exam_date >= since, Batch.id != batch.id)
    counts = Counter(
        session.scalars(
            select(PaperItem.item_id)
            .join(Paper, Paper.id == PaperItem.paper_id)
            .join(Batch, Batch.id == Paper.batch_id)
            .where(*window)
        )
    )
    sealed = session.scalars(
        select(Paper)
        .join(Batch, Batch.id == Paper.batch_id)
        .where(
            *window,
            Paper.kind == "theory",
            Paper.sealed_at.is_not(None),
            Paper.opened_at.is_(None),
        )
        .order_by(Paper.id)
    )
    for paper in sealed:
        counts.update(clear_composition(session, paper, keyring).item_ids)
    return counts


def _enemies(session: Session, bank: Bank, ctx: Context, policy: Policy) -> list[tuple[int, int]]:
    """Near-duplicate pairs among the candidates, except pairs a reviewer judged distinct."""
    # From the token sets stored at import, in plain Python (`qbank.assembly.near`): the
    # overlap engine is loaded only for texts without stored tokens or beyond exact scopes.
    from qbank.assembly.near import near_pairs

    versions = ctx.versions
    pairs = near_pairs(session, versions, policy)
    distinct = {
        (a, b)
        for a, b in session.execute(
            select(Adjudication.version_a, Adjudication.version_b).where(
                Adjudication.bank_id == bank.id
            )
        )
    }
    out = []
    for i, j in pairs:
        a, b = versions[i], versions[j]
        if tuple(sorted((a.version, b.version))) not in distinct:
            out.append((a.item_id, b.item_id))
    return out


def _history(
    session: Session, batch: Batch, policy: Policy, keyring: Keyring
) -> list[frozenset[int]]:
    """Item sets of the theory papers of the neighbouring batches and of this batch so far."""
    papers = session.scalars(neighbour_papers(batch, int(policy.recent_batches.value), "theory"))
    return [frozenset(PaperLayout.from_json(composition(p, keyring)).items) for p in papers]


def blueprint_record(bp: Blueprint) -> dict[str, Any]:
    data = asdict(bp)
    return {"name": bp.name, "sha256": content_id(data), "blueprint": data}


def assemble(
    session: Session,
    batch: Batch,
    bp: Blueprint,
    codes: Sequence[str],
    policy: Policy,
    *,
    actor: str,
    seed: int | None = None,
    time_limit: float = 20.0,
    identities: Identities = None,
    progress: PapersSolved | None = None,
) -> tuple[int, list[Paper]]:
    """Assemble, validate and store papers `codes` (e.g. A, B) for `batch`.

    `identities` open the sealed papers of neighbouring batches (history and exposure); they
    are needed only when such papers exist. `progress` is told the papers solved as the
    search goes. Raises AssemblyInfeasible with the conflicting
    requirements, never a partial paper; IdentityRequired when a sealed paper must be read.
    Side effects: takes the bank's assembly lock; writes papers, their items and an audit event
    that names the papers and commits to the seed without revealing it.
    """
    keyring = Keyring.of(identities)
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    lock_bank(session, bank)
    _check_codes(session, batch, codes)
    problems = check_blueprint(bp)
    if problems:
        raise AssemblyInfeasible(problems)
    seed = seed if seed is not None else secrets.randbits(63)
    with gc_paused():  # the run's items and models live until it ends: qbank.gcpause
        ctx = _context(session, bank, batch, bp, policy, keyring)
        supply = check_against_bank(
            bp,
            ctx.candidates,
            papers=len(codes),
            sibling_share=float(policy.max_paper_sibling_share.value),
        )
        if supply:
            raise AssemblyInfeasible(supply)
        caps = _caps(policy, bp)
        found, by_id = _solve(bp, codes, seed, ctx, caps, time_limit, progress)
    record = blueprint_record(bp)
    seed_salt = secrets.token_bytes(16).hex()
    stored = [
        _store(
            session, batch, paper, _layout(bp, paper, by_id, seed_salt), ctx, record, seed, actor
        )
        for paper in found
    ]
    audit.record(
        session,
        actor=actor,
        action="assemble",
        entity="batch",
        entity_id=batch.id,
        bank_id=bank.id,
        papers=list(codes),
        seed_commitment=seed_commitment(str(seed), seed_salt),
        blueprint=record["sha256"],
    )
    return seed, stored


def _solve(
    bp: Blueprint,
    codes: Sequence[str],
    seed: int,
    ctx: Context,
    caps: Caps,
    time_limit: float,
    progress: PapersSolved | None = None,
) -> tuple[list[SolvedPaper], dict[int, Candidate]]:
    """The solver's papers once the independent validator passed them, and the candidates by
    id; AssemblyInfeasible with the solver's conflicts, AssemblyInvalid on a solver bug."""
    from qbank.assembly.solver import SolverSettings, solve

    section_scores = {s.type: s.score for s in reversed(bp.sections)}  # the first per type
    scores = {c.item_id: section_scores.get(c.type, 0.0) for c in ctx.candidates}
    result = solve(
        bp,
        ctx.candidates,
        papers=list(codes),
        seed=seed,
        enemies=ctx.enemies,
        history=ctx.history,
        caps=caps,
        scores=scores,
        settings=SolverSettings(time_limit=time_limit),
        progress=progress,
    )
    if result.status != "ok":
        texts = [conflict_text(c) for c in result.conflicts]
        raise AssemblyInfeasible(texts, result.conflicts)
    by_id = {c.item_id: c for c in ctx.candidates}
    violations = validate_papers(
        [(p.code, p.item_ids) for p in result.papers],
        bp,
        by_id,
        filed=set(by_id),
        enemies=ctx.enemies,
        history=ctx.history,
        caps=caps,
        scores=scores,
    )
    if violations:
        raise AssemblyInvalid(_lines(violations))
    return result.papers, by_id


def _check_codes(session: Session, batch: Batch, codes: Sequence[str]) -> None:
    """InvalidInput unless `codes` are distinct, not empty and new in the batch."""
    taken = set(
        session.scalars(
            select(Paper.code).where(Paper.batch_id == batch.id, Paper.kind == "theory")
        )
    )
    clash = sorted(taken & set(codes))
    if clash or len(set(codes)) != len(codes) or not codes:
        raise InvalidInput("assembly.bad_codes", codes="、".join(clash or codes))


def _caps(policy: Policy, bp: Blueprint) -> Caps:
    return Caps(
        sibling_share=float(policy.max_paper_sibling_share.value),
        recent_share=float(policy.max_paper_recent_share.value),
        max_exposure=bp.max_exposure,
    )


def _store(
    session: Session,
    batch: Batch,
    paper: SolvedPaper,
    layout: PaperLayout,
    ctx: Context,
    record: dict[str, Any],
    seed: int,
    actor: str,
) -> Paper:
    """The paper's row and its item rows (each the filed version), the item rows in one
    bulk insert (no ORM objects: nothing reads them back in this session)."""
    row = Paper(
        batch_id=batch.id,
        code=paper.code,
        kind="theory",
        seed=str(seed),
        blueprint=record,
        layout=layout.to_json(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    insert_many(
        session,
        Base.metadata.tables["paper_items"],
        [
            {
                "paper_id": row.id,
                "item_id": i,
                "item_version_id": ctx.version_rows[i],
                "position": n,
            }
            for n, i in enumerate(paper.item_ids)
        ],
    )
    return row


def seed_commitment(seed: str, seed_salt: str) -> str:
    """SHA-256 hex of the salt (hex-decoded) ‖ the seed as UTF-8: what the audit trail keeps.

    A seed with the bank reproduces the papers, and a bare hash of a chosen seed (`--seed 42`)
    is found by trying seeds; the salt lives in the papers' layout, so once they are sealed
    the commitment can be checked only by someone who may open them.
    """
    return sha256_hex(bytes.fromhex(seed_salt) + seed.encode("utf-8"))


def _layout(
    bp: Blueprint, paper: SolvedPaper, by_id: dict[int, Candidate], seed_salt: str
) -> PaperLayout:
    item_ids = paper.item_ids
    sections = [
        LayoutSection(
            type=section.type,
            title=section.title,
            count=section.count,
            score=section.score,
            items=tuple(i for i in item_ids if by_id[i].type == section.type),
        )
        for section in bp.sections
    ]
    return PaperLayout(
        items=tuple(item_ids),
        versions=tuple(by_id[i].version for i in item_ids),
        option_orders=paper.option_orders,
        sections=tuple(sections),
        score=sum(s.count * s.score for s in bp.sections),
        # Reproducing the papers from the seed needs the same solver version.
        solver=_solver_version(),
        seed_salt=seed_salt,
    )


@functools.cache  # read from the installed distribution's metadata once a run
def _solver_version() -> str:
    return f"ortools {metadata.version('ortools')}"


def draw_practical(
    session: Session,
    batch: Batch,
    policy: Policy,
    *,
    actor: str,
    seed: int,
    code: str = "P",
    identities: Identities = None,
) -> Paper:
    """Draw a filed practical set for the batch, not one used in the bank's last N batches.

    `identities` open the sealed practical papers of neighbouring batches (see `assemble`).
    Side effects: stores the practical paper and an audit event naming the paper only.
    """
    keyring = Keyring.of(identities)
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    filed = filed_sets(session, bank)
    n = int(policy.recent_batches.value)
    recent = list(session.scalars(neighbour_batches(batch, n)))
    used = {
        clear_composition(session, p, keyring).set_version_id if is_sealed(p) else p.set_version_id
        for p in session.scalars(neighbour_papers(batch, n, "practical"))
    }
    shared: set[int] = set()
    if float(policy.max_cross_level_practical_share.value) == 0.0 and _other_levels(session, bank):
        from qbank.overlap.checks import sets_sharing_tasks_with_other_levels

        shared = sets_sharing_tasks_with_other_levels(session, bank, [v for _, v in filed], policy)
    choices = [(c, v) for c, v in filed if v.id not in used and v.id not in shared]
    if not choices:
        raise AssemblyInfeasible([_no_practical_message(len(filed), len(recent))])
    set_code, version = random.Random(seed).choice(choices)
    paper = Paper(
        batch_id=batch.id,
        code=code,
        kind="practical",
        seed=str(seed),
        blueprint={"name": "practical"},
        # The salt keeps a hash of this composition (the custody log's, before sealing) from
        # being found by trying the few filed sets.
        layout=PracticalLayout(set_code, version.sha256, secrets.token_hex(16)).to_json(),
        set_version_id=version.id,
        created_by=actor,
    )
    session.add(paper)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw_practical",
        entity="batch",
        entity_id=batch.id,
        bank_id=bank.id,
        paper=paper.id,
    )
    return paper


def _other_levels(session: Session, bank: Bank) -> bool:
    """Does the occupation have banks of other levels (whose tasks a set may share)?"""
    others = select(Bank.id).where(Bank.occupation_id == bank.occupation_id, Bank.id != bank.id)
    return bool(session.scalar(select(exists(others))))


def _no_practical_message(filed: int, recent: int) -> str:
    return tr("assembly.no_practical", filed=filed, recent=recent)


def check_batch_papers(
    session: Session, batch: Batch, policy: Policy, *, identities: Identities = None
) -> list[str]:
    """Re-run the independent validator on a batch's stored theory papers, as stored.

    Siblings are checked together; history is the bank's earlier batches. Sealed papers (the
    batch's own or its neighbours') are read with `identities`. Returns the violations as
    readable lines (empty when every paper passes).
    """
    keyring = Keyring.of(identities)
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    papers = list(
        session.scalars(
            select(Paper)
            .where(Paper.batch_id == batch.id, Paper.kind == "theory")
            .order_by(Paper.id)
        )
    )
    if not papers:
        return []
    bp = Blueprint(**_blueprint_args(papers[0].blueprint["blueprint"]))
    layouts = [PaperLayout.from_json(composition(p, keyring)) for p in papers]
    with gc_paused():  # the run's items and models live until it ends: qbank.gcpause
        ctx = _context(session, bank, batch, bp, policy, keyring, consequence="check")
    own = {frozenset(layout.items) for layout in layouts}
    ctx.history = [h for h in ctx.history if h not in own]
    caps = _caps(policy, bp)
    by_id = {c.item_id: c for c in ctx.candidates}
    scores = {i: float(s.score) for lay in layouts for s in lay.sections for i in s.items}
    stored_versions = {
        i: v for lay in layouts for i, v in zip(lay.items, lay.versions, strict=True)
    }
    filed = {i for i, c in by_id.items() if stored_versions.get(i, c.version) == c.version}
    violations = validate_papers(
        [(p.code, lay.items) for p, lay in zip(papers, layouts, strict=True)],
        bp,
        by_id,
        filed=filed,
        enemies=ctx.enemies,
        history=ctx.history,
        caps=caps,
        scores=scores,
    )
    return _lines(violations)


def _lines(violations: Sequence[Violation]) -> list[str]:
    return [f"{v.paper} {v.rule}: {v.detail}" for v in violations]


def _blueprint_args(data: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the Blueprint dataclass arguments from its stored JSON form."""
    return {
        **data,
        "sections": tuple(Section(**s) for s in data["sections"]),
        "weights": tuple(WeightRule(**w) for w in data["weights"]),
        "difficulty_bands": tuple(DifficultyBand(**b) for b in data["difficulty_bands"]),
    }


def get_paper(session: Session, paper_id: int) -> Paper:
    paper = session.get(Paper, paper_id)
    if paper is None or paper.kind != "theory":
        raise NotFound("assembly.paper_not_found", id=paper_id)
    return paper
