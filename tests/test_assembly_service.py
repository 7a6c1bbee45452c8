"""Assembly end to end on the filed sample bank: papers, reproducibility, caps, concurrency."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_filed_bank, copy_to_postgresql
from sqlalchemy import select

from cli.main import cli
from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.assembly.service import (
    AssemblyInfeasible,
    assemble,
    check_batch_papers,
    draw_practical,
)
from qbank.bank import find_bank
from qbank.batch import new_batch
from qbank.blueprint import load_blueprint
from qbank.db import Database, open_database
from qbank.policy import Value, load_policy

BLUEPRINTS = Path(__file__).resolve().parent.parent / "samples" / "blueprints"
THEORY = BLUEPRINTS / "electrician-4-theory.toml"
POLICY = load_policy()
STAFF = {s: ["王老师"] for s in ("assemble", "extract", "print", "transport", "seal")}


@pytest.fixture
def db(filed_bank_db: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(str(copy_filed_bank(filed_bank_db, tmp_path)))
    yield database
    database.dispose()


def batch(db: Database, day: int = 12) -> int:
    with db.transaction() as session:
        bank = find_bank(session, "6-31-01-03", 4)
        return new_batch(
            session,
            bank,
            exam_date=date(2026, 12, day),
            site="长沙考点",
            candidates=100,
            staff=STAFF,
            actor="t",
        ).id


def run_assembly(db: Database, batch_id: int, seed: int, codes=("A", "B"), policy=POLICY):  # type: ignore[no-untyped-def]
    from qbank.batch import get_batch

    with db.transaction() as session:
        _seed, papers = assemble(
            session,
            get_batch(session, batch_id),
            load_blueprint(THEORY),
            list(codes),
            policy,
            actor="t",
            seed=seed,
        )
        layouts = [(p.code, PaperLayout.from_json(p.layout)) for p in papers]
        return [(code, list(lay.items), dict(lay.option_orders or {})) for code, lay in layouts]


def test_a_b_papers_meet_the_blueprint_and_caps(db: Database) -> None:
    papers = run_assembly(db, batch(db), seed=7)
    bp = load_blueprint(THEORY)
    assert [code for code, _, _ in papers] == ["A", "B"]
    assert all(len(items) == bp.item_count for _, items, _ in papers)
    shared = set(papers[0][1]) & set(papers[1][1])
    assert len(shared) <= 0.3 * bp.item_count
    from qbank.batch import get_batch

    with db.transaction() as session:
        assert check_batch_papers(session, get_batch(session, 1), POLICY) == []


def test_stored_layouts_read_back_exactly(db: Database) -> None:
    """PaperLayout/PracticalLayout give back the stored JSON byte for byte (hashes hold)."""
    from qbank.batch import get_batch

    batch_id = batch(db)
    with db.transaction() as session:
        theory = assemble(
            session,
            get_batch(session, batch_id),
            load_blueprint(THEORY),
            ["A"],
            POLICY,
            actor="t",
            seed=3,
        )[1][0]
        practical = draw_practical(session, get_batch(session, batch_id), POLICY, actor="t", seed=3)
        stored = [json.dumps(theory.layout), json.dumps(practical.layout)]
        read = PaperLayout.from_json(theory.layout)
        assert read.solver is not None and read.solver.startswith("ortools ")
        assert read.score == sum(s.score * len(s.items) for s in read.sections)
        again = [
            json.dumps(read.to_json()),
            json.dumps(PracticalLayout.from_json(practical.layout).to_json()),
        ]
    assert again == stored
    with pytest.raises(ValueError, match=r"layout\.versions"):
        PaperLayout.from_json({**theory.layout, "versions": theory.layout["versions"][1:]})
    with pytest.raises(ValueError, match="unknown entries sealed"):
        PaperLayout.from_json({**theory.layout, "sealed": True})


def test_same_seed_same_papers(db: Database, filed_bank_db: Path, tmp_path: Path) -> None:
    first = run_assembly(db, batch(db), seed=123)
    again_db = open_database(str(copy_filed_bank(filed_bank_db, tmp_path / "other")))
    try:
        assert run_assembly(again_db, batch(again_db), seed=123) == first
    finally:
        again_db.dispose()
    different = run_assembly(db, batch(db, day=13), seed=124)
    assert different != first


def test_infeasible_request_is_explained_and_stores_nothing(db: Database) -> None:
    batch_id = batch(db)
    no_sharing = dataclasses.replace(POLICY, max_paper_sibling_share=Value(0.0, "test"))
    with pytest.raises(AssemblyInfeasible) as err:  # 7 disjoint papers of 100 from 597 items
        run_assembly(db, batch_id, seed=1, codes=list("ABCDEFG"), policy=no_sharing)
    assert str(err.value).startswith("无法组卷：") and err.value.reasons
    from qbank.batch import get_batch, view

    with db.transaction() as session:
        assert view(session, get_batch(session, batch_id)).papers == []


def test_cli_assemble_json_and_paper_check(db: Database) -> None:
    batch_id = batch(db)
    url = str(db.engine.url)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "assemble",
            "--batch",
            str(batch_id),
            "--blueprint",
            str(THEORY),
            "--papers",
            "A,B",
            "--seed",
            "5",
            "--json",
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["seed"] == 5 and [p["code"] for p in out["papers"]] == ["A", "B"]
    assert out["papers"][0]["score"] == 100 and out["practical"]["set"].startswith("DG4-SC-")
    check = runner.invoke(cli, ["paper", "check", str(out["papers"][1]["id"]), "--db", url])
    assert check.exit_code == 0, check.output
    assert check.output.strip() == "校验通过：试卷满足组卷方案与各项上限"
    missing = runner.invoke(cli, ["paper", "check", "999", "--db", url])
    assert missing.exit_code == 1 and missing.output == "错误：没有编号为 999 的理论试卷\n"


def test_concurrent_assembly_on_postgresql_respects_the_recent_cap(
    pg_url: str, filed_bank_db: Path
) -> None:
    copy_to_postgresql(filed_bank_db, pg_url)
    db = open_database(pg_url)
    try:
        first, second = batch(db, day=12), batch(db, day=13)
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def work(batch_id: int, seed: int) -> None:
            try:
                barrier.wait()
                run_assembly(db, batch_id, seed=seed, codes=["A"])
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(b, s)) for b, s in ((first, 1), (second, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        from qbank.batch import get_batch
        from qbank.model import Paper

        with db.transaction() as session:
            papers = session.query(Paper).filter(Paper.kind == "theory").order_by(Paper.id).all()
            a, b = (set(PaperLayout.from_json(p.layout).items) for p in papers)
            assert len(a & b) <= 0.3 * len(a)
            assert check_batch_papers(session, get_batch(session, second), POLICY) == []
    finally:
        db.dispose()


def test_neighbour_batches_are_the_n_before_and_the_n_after(db: Database) -> None:
    from qbank.batch import get_batch
    from qbank.model import Batch
    from qbank.queries import neighbour_batches

    ids = {day: batch(db, day=day) for day in (1, 2, 3, 4, 5, 6)}
    same_day = batch(db, day=3)
    with db.transaction() as session:
        middle = get_batch(session, ids[3])
        found = set(session.scalars(neighbour_batches(middle, 2)))
        # before (exam date up to its own, latest first): the other batch of the 3rd, the 2nd
        assert found == {same_day, ids[2], ids[4], ids[5]}
        assert set(session.scalars(neighbour_batches(middle, 0))) == set()
        everyone = set(session.scalars(neighbour_batches(middle, 10)))
        assert everyone == set(session.scalars(select(Batch.id))) - {middle.id}
