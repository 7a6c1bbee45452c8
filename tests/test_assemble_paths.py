"""The assembly path made cheap without changing what it does (issue #12): filed items read as
Core rows and still re-hashed, the objective written straight into the model, the supply
check in one pass, the engine loaded only when used, and "papers solved" as progress."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import copy_filed_bank, copy_to_postgresql
from sqlalchemy import select
from test_progress import qbank

from qbank.assembly.candidates import Candidate, Caps, ranges_of
from qbank.assembly.filed import filed_items, filed_sets
from qbank.assembly.inputs import Setup
from qbank.assembly.search import SolverSettings
from qbank.assembly.service import assemble
from qbank.assembly.solver import solve
from qbank.bank import find_bank
from qbank.batch import get_batch, new_batch
from qbank.blueprint import Blueprint, Section, WeightRule, load_blueprint
from qbank.blueprint.supply import _Supply
from qbank.canonical import canonical_bytes, content_id
from qbank.content import ContentTampered
from qbank.db import open_database
from qbank.filing import filed_item_contents
from qbank.json_column import json_column
from qbank.model import Filing, FilingEntry
from qbank.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "samples" / "blueprints" / "electrician-4-theory.toml"
STAFF = {s: ["王老师"] for s in ("assemble", "extract", "print", "transport", "seal")}
MARK = "（已篡改）"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_filed_items_and_sets_are_the_filings_readers_own(
    filed_bank_db: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = str(filed_bank_db)
    if backend == "postgresql":  # the driver decodes the JSON columns itself there
        url = request.getfixturevalue("pg_url")
        copy_to_postgresql(filed_bank_db, url)
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, "6-31-01-03", 4)
            rows = filed_items(session, bank)
            orm = filed_item_contents(session, bank)
            assert len(rows) == len(orm) > 500
            assert [(r.row_id, r.content) for r in rows] == [(v.id, c) for v, c in orm]
            sets = [(code, v.id) for code, v in filed_sets(session, bank)]
            latest = max(session.scalars(select(Filing.id).where(Filing.bank_id == bank.id)))
            filed = set(
                session.scalars(
                    select(FilingEntry.set_version_id).where(
                        FilingEntry.filing_id == latest, FilingEntry.set_version_id.is_not(None)
                    )
                )
            )
            assert {v for _code, v in sets} == filed and len(sets) == 6
    finally:
        db.dispose()


def _edit_first_filed_item(path: Path, mode: str) -> str:
    """Edit the first filed item version (with options, for "options") as a hostile
    administrator would; its guid."""
    con = sqlite3.connect(path)
    try:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        row, stem, canonical, guid = con.execute(
            "SELECT v.id, v.stem, v.canonical, i.guid FROM filing_entries e"
            " JOIN item_versions v ON v.id = e.item_version_id JOIN items i ON i.id = v.item_id"
            + (" WHERE v.type != 'judgement'" if mode == "options" else "")
            + " ORDER BY v.item_id LIMIT 1"
        ).fetchone()
        content = json.loads(canonical)
        content["stem"] = stem + MARK
        edited = canonical_bytes(content).decode("utf-8")
        if mode == "stem":
            con.execute("UPDATE item_versions SET stem = ? WHERE id = ?", (stem + MARK, row))
        elif mode == "options":  # one option's text changed in the JSON column only
            options = dict(content["options"])
            options[min(options)] += MARK
            con.execute(
                "UPDATE item_versions SET options = ? WHERE id = ?", (json.dumps(options), row)
            )
        elif mode == "canonical":
            con.execute("UPDATE item_versions SET canonical = ? WHERE id = ?", (edited, row))
        else:  # a consistent new version the filing does not list
            con.execute(
                "UPDATE item_versions SET canonical = ?, stem = ?, sha256 = ? WHERE id = ?",
                (edited, stem + MARK, content_id(content), row),
            )
        con.commit()
        return str(guid)
    finally:
        con.close()


@pytest.mark.parametrize("mode", ["stem", "options", "canonical", "rehashed"])
def test_filed_items_refuse_an_edited_version(
    filed_bank_db: Path, tmp_path: Path, mode: str
) -> None:
    path = copy_filed_bank(filed_bank_db, tmp_path)
    guid = _edit_first_filed_item(path, mode)
    db = open_database(str(path))
    try:
        with pytest.raises(ContentTampered) as refused, db.transaction() as session:
            filed_items(session, find_bank(session, "6-31-01-03", 4))
        assert refused.value.subject == guid
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "value",
    ['{"A": "x", "B": "y"}', '{"A":"x"}', ' {"A": 1}', '["a"] ', "[]", "\ufeff{}", "1 2", "",
     '{"A": ', b'["b"]', 3, 1.5, None, {"A": "x"}, ["p"]],
)  # fmt: skip
def test_json_columns_decode_as_the_column_type_does(value: object) -> None:
    """`json_column` is SQLAlchemy's JSON result processing: `json.loads` of text and bytes
    (the same value, or the same error), anything else as the driver gave it."""
    try:
        expected: object = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError as e:
        with pytest.raises(type(e)):
            json_column(value)
        return
    assert json_column(value) == expected and type(json_column(value)) is type(expected)


def test_assembly_reports_papers_solved(filed_bank_db: Path, tmp_path: Path) -> None:
    db = open_database(str(copy_filed_bank(filed_bank_db, tmp_path)))
    calls: list[tuple[int, int]] = []
    try:
        with db.transaction() as session:
            batch = new_batch(
                session, find_bank(session, "6-31-01-03", 4), exam_date=date(2026, 12, 12),
                site="长沙考点", candidates=100, staff=STAFF, actor="t",
            )  # fmt: skip
            _seed, papers = assemble(
                session, get_batch(session, batch.id), load_blueprint(THEORY), ["A", "B", "C"],
                load_policy(), actor="t", seed=7,
                progress=lambda done, total: calls.append((done, total)),
            )  # fmt: skip
        assert [p.code for p in papers] == ["A", "B", "C"]
        assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    finally:
        db.dispose()


def _candidates(n: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    out = []
    for k in range(1, n + 1):
        kind = rng.choice(["judgement", "single", "single", "multiple"])
        code = f"{rng.choice('AB')}-{rng.choice('ABC')}-{rng.choice('AB')}-{rng.randint(1, 40):03d}"
        out.append(
            Candidate(
                item_id=k,
                version=f"{k:08x}",
                type=kind,
                knowledge_code=code if rng.random() > 0.05 else None,
                ranges=ranges_of(code),
                importance=rng.choice("XXXYZ"),
                difficulty=rng.choice([0.1, 0.3, 0.5, 0.7, 0.9, None]),
                exposure=rng.choice([0, 0, 0, 1, 2, 3]),
                option_letters=() if kind == "judgement" else ("A", "B", "C", "D"),
            )
        )
    return out


def _blueprint(**changes: object) -> Blueprint:
    base: dict[str, object] = {
        "name": "t",
        "title": "t",
        "duration_minutes": 90,
        "total_score": 40,
        "pass_score": 24,
        "sections": (Section("judgement", 10, 1, "判断题"), Section("single", 30, 1, "单选题")),
        "weights": (WeightRule("A", 0.4, 0.1), WeightRule("B", 0.6, 0.1)),
        "max_per_point": 2,
        "min_x_share": 0.5,
    }
    return Blueprint(**{**base, **changes})  # type: ignore[arg-type]


def _slots_before(supply: _Supply, keep: Callable[[Candidate], bool], types: Sequence[str]) -> int:
    """`_Supply.slots` as it was written before it counted in one pass (the reference)."""
    import math

    pool = [c for c in supply.usable if c.type in types and keep(c)]
    p = supply.papers
    bounds = [p * sum(s.count for s in supply.bp.sections if s.type in types)]
    cap = supply.cap
    by_point: dict[str, int] = {}
    loose = 0
    for c in pool:
        if cap is not None and c.knowledge_code:
            by_point[c.knowledge_code] = by_point.get(c.knowledge_code, 0) + supply.uses(c)
        else:
            loose += supply.uses(c)
    bounds.append(loose + sum(min(p * (cap or 0), n) for n in by_point.values()))
    if supply.sibling_share is not None:
        shared = math.floor(supply.sibling_share * supply.bp.item_count + 1e-9)
        bounds.append(len(pool) + math.comb(p, 2) * shared)
    if len(types) > 1:
        bounds.append(sum(_slots_before(supply, keep, (t,)) for t in types))
    return min(bounds)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("by_point", [False, True])
def test_supply_slots_count_as_before(seed: int, by_point: bool) -> None:
    """Per item importance puts a 鉴定点 in several classes (its items' tallies are merged);
    importance by point, as a bank's tree gives it, keeps the classes apart (added up)."""
    rng = random.Random(seed)
    candidates = _candidates(rng.randint(20, 300), seed)
    if by_point:
        candidates = [
            replace(c, importance="XYZ"[sum(map(ord, c.knowledge_code or "")) % 3])
            for c in candidates
        ]
    bp = _blueprint(
        max_per_point=rng.choice([None, 1, 2]),
        max_exposure=rng.choice([None, 2, 3]),
        same_point_enemies=rng.random() < 0.3,
    )
    share = rng.choice([None, 0.0, 0.3])
    supply = _Supply(bp, rng.randint(1, 12), share, candidates, 0)
    keeps: list[Callable[[Candidate], bool]] = [
        lambda c: True,
        lambda c: c.importance == "X",
        lambda c: "A-B" in c.ranges,
        lambda c: (c.difficulty or 0.5) < 0.4,
    ]
    for keep in keeps:
        for types in (("single",), ("judgement",), ("judgement", "single"), ("multiple",)):
            assert supply.slots(keep, types) == _slots_before(supply, keep, types)
    assert supply._disjoint or not by_point


def test_solve_reports_each_paper_then_all_at_once_when_joint() -> None:
    candidates = _candidates(300, 3)
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
    bp = _blueprint(weights=(), min_x_share=0.0)
    calls: list[tuple[int, int]] = []
    one = solve(
        bp, candidates, papers=["A", "B"], seed=1, caps=caps, progress=lambda *a: calls.append(a)
    )
    assert one.status == "ok" and calls == [(0, 2), (1, 2), (2, 2)]
    calls.clear()
    joint = solve(
        bp, candidates, papers=["A", "B"], seed=1, caps=caps,
        settings=SolverSettings(one_by_one=False), progress=lambda *a: calls.append(a),
    )  # fmt: skip
    assert joint.status == "ok" and calls == [(0, 2), (2, 2)]


def test_the_service_loads_neither_the_solver_nor_the_overlap_engine() -> None:
    """Importing the assembly service (as `qbank assemble --dry-run` and `qbank paper check`
    do) loads no solver, no filing machinery and no overlap engine: runs load them when used."""
    code = (
        "import sys\n"
        "import qbank.assembly.service\n"
        "heavy = ('ortools', 'numba', 'scipy', 'pandas', 'jieba', 'rjieba', 'qbank.filing',"
        " 'qbank.compliance', 'qbank.overlap')\n"
        "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"


def test_cli_shows_papers_solved_on_a_terminal_only(filed_bank_db: Path, tmp_path: Path) -> None:
    path = copy_filed_bank(filed_bank_db, tmp_path)
    db = open_database(str(path))
    try:
        with db.transaction() as session:
            batch_id = new_batch(
                session, find_bank(session, "6-31-01-03", 4), exam_date=date(2026, 12, 12),
                site="长沙考点", candidates=100, staff=STAFF, actor="t",
            ).id  # fmt: skip
    finally:
        db.dispose()
    args = ["--db", str(path), "assemble", "--batch", str(batch_id), "--blueprint", str(THEORY)]
    out, err = qbank(*args, "--papers", "A,B", "--seed", "3", "--no-practical", tty=True)
    assert "正在组卷" in err and "A、B" in out
    out, err = qbank(*args, "--papers", "C,D", "--seed", "3", "--no-practical", tty=False)
    assert err == "" and "C、D" in out


def test_scaled_coefficients_are_the_exact_products() -> None:
    from fractions import Fraction

    from qbank.assembly.model import _scaled

    values = [Fraction(1, 3), Fraction(1, 2), Fraction(1, 3), Fraction(7, 10), Fraction(0)]
    assert _scaled(values, 30) == [int(v * 30) for v in values] == [10, 15, 10, 21, 0]


def test_practical_draw_still_avoids_sets_shared_with_another_level(
    filed_bank_db: Path, tmp_path: Path
) -> None:
    """Only a bank with other levels pays for the cross-level check, and it still binds: with
    every filed set's tasks also in the level-3 bank, no set may be drawn."""
    from qbank.assembly.service import AssemblyInfeasible, draw_practical
    from workflows.importing import import_practical_files
    from workflows.types import BankRef

    db = open_database(str(copy_filed_bank(filed_bank_db, tmp_path)))
    sets = sorted((ROOT / "samples" / "electrician-4" / "practical").glob("*.yaml"))
    policy = load_policy()
    assert float(policy.max_cross_level_practical_share.value) == 0.0
    try:
        with db.transaction() as session:
            batch_id = new_batch(
                session, find_bank(session, "6-31-01-03", 4), exam_date=date(2026, 12, 12),
                site="长沙考点", candidates=100, staff=STAFF, actor="t",
            ).id  # fmt: skip
        with db.transaction() as session:  # five other sets are left for the second draw
            drawn = draw_practical(session, get_batch(session, batch_id), policy, actor="t", seed=1)
            assert drawn.kind == "practical"
        import_practical_files(
            db.transaction, BankRef("6-31-01-03", 3, "电工"), sets, actor="t", create=True
        )
        with pytest.raises(AssemblyInfeasible), db.transaction() as session:
            draw_practical(session, get_batch(session, batch_id), policy, actor="t", seed=1)
    finally:
        db.dispose()


def _over_cap_before(setup: Setup, chosen: list[set[int]], p: int, q: int) -> bool:
    """`Setup.over_cap` as it was written before it walked the papers' near-duplicates
    (every near-duplicate pair of the run, both directions): the reference."""
    from fractions import Fraction

    a, b = chosen[p], chosen[q]
    count, points = 0, Fraction(0)
    for i in a & b:
        count += 1
        points += setup.score[i]
    for i, j in setup.enemy_pairs:
        for u, v in ((i, j), (j, i)):
            if u in a and v in b:
                count += 1
                points += max(setup.score[u], setup.score[v])
    total_a = sum((setup.score[i] for i in a), Fraction(0))
    total_b = sum((setup.score[i] for i in b), Fraction(0))
    limit = setup.sibling_share * min(total_a, total_b)
    return count > setup.shared_limit(setup.sibling_share, setup.n) or points > limit


@pytest.mark.parametrize("seed", range(5))
def test_over_cap_counts_as_before(seed: int) -> None:
    rng = random.Random(seed)
    candidates = _candidates(rng.randint(80, 300), seed)
    ids = [c.item_id for c in candidates]
    enemies = [tuple(rng.sample(ids, 2)) for _ in range(rng.randint(20, 120))]
    scores = {i: rng.choice([1.0, 1.5, 2.0]) for i in ids} if seed % 2 else None
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
    setup = Setup(_blueprint(), candidates, ["A", "B", "C"], enemies, [], caps, scores)  # type: ignore[arg-type]
    verdicts = set()
    for _ in range(60):
        chosen = [set(rng.sample(range(len(setup.items)), rng.randint(10, 60))) for _ in "ABC"]
        for p, q in setup.pairs:
            verdict = setup.over_cap(chosen, p, q)
            assert verdict == _over_cap_before(setup, chosen, p, q)
            verdicts.add(verdict)
    assert verdicts == {True, False}

