"""Assembly end to end on the filed sample bank: papers, reproducibility, caps, concurrency."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_filed_bank, copy_to_postgresql

from cli.main import cli
from qbank.assembly.service import AssemblyInfeasible, assemble, check_batch_papers
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
        return [(p.code, list(p.layout["items"]), dict(p.layout["option_orders"])) for p in papers]


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
    assert str(err.value).startswith("无法组卷：")
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
    import json

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
            a, b = (set(p.layout["items"]) for p in papers)
            assert len(a & b) <= 0.3 * len(a)
            assert check_batch_papers(session, get_batch(session, second), POLICY) == []
    finally:
        db.dispose()
