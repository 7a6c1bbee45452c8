"""Review, compliance and filing: avoidance, every rule at and across its limit, tampering."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.items_xlsx import write_items_xlsx
from formats.filing_package import read_package, write_package
from importers.table_items import read_items_table
from qbank import keys
from qbank.bank import ensure_bank
from qbank.compliance import check_bank
from qbank.db import Database
from qbank.filing import NotCompliant, file_bank, filed_item_versions
from qbank.filing_check import TrustedKey, trusted_key_from_export, verify_package
from qbank.items import import_items
from qbank.model import Person, PracticalSet, Review
from qbank.people import add_person, set_public_key
from qbank.policy import Policy, Value, load_policy
from qbank.practical import import_practical
from qbank.records import Importance, ItemRecord, TreeNode
from qbank.review import Decision, ReviewRejected, SelfReview, all_pending, review, verify_review
from qbank.tree import current_tree, import_tree

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"
OCC = "6-31-01-03"
PASS = "correct horse battery"


@pytest.fixture(autouse=True)
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    return tmp_path / "keys"


@pytest.fixture(scope="module")
def sample_items() -> list[ItemRecord]:
    return read_items_table(SAMPLES / "items.xlsx").records


def person(session: Session, name: str, *roles: str) -> tuple[Person, keys.Signer]:
    """A person with a registered key, opened (one key derivation, not two)."""
    p = add_person(session, name, roles, actor="tester")
    signer = keys.generate_signer(name, PASS)
    set_public_key(session, p, signer.public_key_raw, actor="tester")
    return p, signer


def small_policy(**changes: float) -> Policy:
    policy = load_policy()
    values = {k: Value(v, "test") for k, v in changes.items()}
    return dataclasses.replace(policy, **values)


def tree_for(records: list[ItemRecord]) -> list[TreeNode]:
    """A consistent tree whose X points are exactly the records' knowledge codes."""
    here = records[0].location
    codes = sorted({r.knowledge_code for r in records if r.knowledge_code})
    nodes = [
        TreeNode("A", "基本要求", here, weight=25.0),  # floats, as the tree importer reads them:
        TreeNode("B", "相关知识", here, weight=75.0),  # the version id re-hashes from stored rows
        TreeNode("A-A", "基础", here, parent="A", weight=25.0),
        TreeNode("B-A", "相关", here, parent="B", weight=75.0),
    ]
    ranges = sorted({c.rsplit("-", 1)[0] for c in codes})
    per_top: dict[str, list[str]] = {}
    for r in ranges:
        per_top.setdefault(r[:3], []).append(r)
    for parent, kids in per_top.items():
        weight = {"A-A": 25, "B-A": 75}.get(parent)
        for kid in kids:
            nodes.append(
                TreeNode(
                    kid, kid, here, parent=parent, weight=weight / len(kids) if weight else None
                )
            )
    nodes += [
        TreeNode(c, c, here, parent=c.rsplit("-", 1)[0], importance=Importance.X) for c in codes
    ]
    return nodes


def bank_with(db: Database, records: list[ItemRecord], *, sets: int = 0, author: str = "张老师"):  # type: ignore[no-untyped-def]
    """A bank holding `records` (authored by `author`) and `sets` sample practical sets."""
    from importers.practical import read_practical_data

    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        import_items(session, bank, records, source="t.xlsx", actor=author)
        paths = sorted((SAMPLES / "practical").glob("*.yaml"))[:sets]
        for path in paths:
            import_practical(
                session, bank, read_practical_data(path).records, source=path.name, actor=author
            )
    return bank


def approve_all(db: Database, reviewer: str = "李工", *, sets: bool = True) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        p, signer = person(session, reviewer, "reviewer")
        decisions = all_pending(session, bank, p)
        if sets:
            codes = session.scalars(
                select(PracticalSet.code).where(PracticalSet.bank_id == bank.id)
            )
            decisions += [Decision("approved", set_code=code) for code in codes]
        review(session, bank, p, signer, decisions, actor="tester")


def rules(db: Database, policy: Policy) -> dict[str, tuple[bool, object]]:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        return {r.rule: (r.ok, r.value) for r in check_bank(session, bank, policy, actor="t").rules}


def test_reviewer_cannot_decide_on_own_items(db: Database, sample_items: list[ItemRecord]) -> None:
    bank_with(db, sample_items[:3], author="李工")
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        p, signer = person(session, "李工", "reviewer")
        ids = [
            d.item_id
            for d in all_pending(
                session, bank, add_person(session, "别人", ["reviewer"], actor="t")
            )
        ]
        with pytest.raises(SelfReview) as err:
            review(
                session, bank, p, signer, [Decision("approved", item_id=i) for i in ids], actor="t"
            )
    assert str(err.value).startswith("回避原则：李工 不能审核自己命题或导入的试题（3 项")


def test_review_is_signed_and_all_or_nothing(db: Database, sample_items: list[ItemRecord]) -> None:
    bank_with(db, sample_items[:3])
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        p, signer = person(session, "李工", "reviewer")
        ids = [d.item_id for d in all_pending(session, bank, p)]
        with pytest.raises(ReviewRejected) as err:
            review(
                session,
                bank,
                p,
                signer,
                [Decision("approved", item_id=ids[0]), Decision("rejected", item_id=ids[1])],
                actor="t",
            )
        assert [pr.field for pr in err.value.problems] == ["comment"]
        assert session.query(Review).count() == 0
        review(
            session,
            bank,
            p,
            signer,
            [
                Decision("approved", item_id=ids[0]),
                Decision("rejected", "答案有误", item_id=ids[1]),
            ],
            actor="t",
        )
        rows = session.query(Review).order_by(Review.id).all()
        assert [r.decision for r in rows] == ["approved", "rejected"]
        assert all(verify_review(r, p) for r in rows)
        rows[0].payload = rows[0].payload.replace("approved", "rejected")
        assert not verify_review(rows[0], p)
        session.rollback()


def test_wrong_passphrase_is_a_clear_error() -> None:
    keys.generate("李工", PASS)
    with pytest.raises(keys.WrongPassphrase) as err:
        keys.load_signer("李工", "not it")
    assert "口令不正确" in str(err.value)


def test_min_theory_items_at_and_across_the_limit(
    db: Database, sample_items: list[ItemRecord]
) -> None:
    bank_with(db, sample_items[:499])
    approve_all(db, sets=False)
    assert rules(db, load_policy())["min_theory_items"] == (False, 499)
    assert rules(db, small_policy(min_theory_items=499))["min_theory_items"] == (True, 499)


def test_499_item_bank_refused_filing(db: Database, sample_items: list[ItemRecord]) -> None:
    bank_with(db, sample_items[:499], sets=5)
    approve_all(db)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_tree(session, bank, tree_for(sample_items[:499]), source="tree", actor="t")
        org, org_signer = person(session, "某技师学院", "institution")
        reviewer = add_person(session, "李工", ["reviewer"], actor="t")
        with pytest.raises(NotCompliant) as err:
            file_bank(
                session,
                bank,
                load_policy(),
                institution=org,
                institution_signer=org_signer,
                reviewers=[(reviewer, keys.load_signer("李工", PASS))],
                actor="t",
            )
    failed = [r.rule for r in err.value.compliance.rules if not r.ok]
    assert failed == ["min_theory_items"]
    assert "min_theory_items" in str(err.value)


def test_sets_repetition_unapproved_tree_and_x_rules(
    db: Database, sample_items: list[ItemRecord]
) -> None:
    records = sample_items[:40]
    bank_with(db, records, sets=4)
    policy = small_policy(min_theory_items=40, min_practical_sets=4)
    got = rules(db, policy)
    assert got["no_unapproved_content"] == (False, 44)
    assert got["knowledge_tree"] == (False, "missing")
    approve_all(db)
    got = rules(db, policy)
    assert got["min_practical_sets"] == (True, 4)
    assert rules(db, small_policy(min_practical_sets=5))["min_practical_sets"] == (False, 4)
    assert got["no_unapproved_content"] == (True, 0)
    rate = got["theory_repetition"][1]
    assert rules(db, small_policy(max_repetition=rate))["theory_repetition"][0] is True
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        nodes = tree_for(records)
        import_tree(session, bank, nodes, source="tree", actor="t")
    assert rules(db, policy)["knowledge_tree"] == (True, "ok")
    assert rules(db, policy)["x_points_covered"] == (True, 0)
    extra = TreeNode(
        nodes[-1].code[:-3] + "999",
        "无题鉴定点",
        nodes[-1].location,
        parent=nodes[-1].parent,
        importance=Importance.X,
    )
    bad = dataclasses.replace(nodes[0], weight=30)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_tree(session, bank, [bad, *nodes[1:], extra], source="tree", actor="t")
    got = rules(db, policy)
    assert got["x_points_covered"] == (False, 1)
    assert got["knowledge_tree"] == (False, "(一级)、A")  # level 1 sums to 105; A's child to 25


def test_repetition_rule_across_its_cap(db: Database, sample_items: list[ItemRecord]) -> None:
    copy = dataclasses.replace(sample_items[1], stem=sample_items[1].stem + "（复制）", guid=None)
    bank_with(db, [*sample_items[:9], copy])
    rate = rules(db, load_policy())["theory_repetition"][1]
    assert rate == 0.1
    assert rules(db, small_policy(max_repetition=0.1))["theory_repetition"] == (True, 0.1)
    assert rules(db, small_policy(max_repetition=0.09))["theory_repetition"] == (False, 0.1)


@pytest.fixture
def package(db: Database, sample_items: list[ItemRecord], tmp_path: Path) -> Path:
    """A real filing package of a small compliant bank (policy minimums lowered)."""
    records = sample_items[:30]
    bank_with(db, records, sets=2)
    approve_all(db)
    policy = small_policy(min_theory_items=30, min_practical_sets=2)
    out = tmp_path / "package"
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_tree(session, bank, tree_for(records), source="tree", actor="t")
        org, org_signer = person(session, "某技师学院", "institution")
        reviewer = add_person(session, "李工", ["reviewer"], actor="t")
        signer = keys.load_signer("李工", PASS)
        result = file_bank(
            session,
            bank,
            policy,
            institution=org,
            institution_signer=org_signer,
            reviewers=[(reviewer, signer)],
            actor="t",
        )
        write_package(
            result,
            out,
            signers=[
                ("李工", "reviewer", reviewer.key_fingerprint or "", signer),
                ("某技师学院", "institution", org.key_fingerprint or "", org_signer),
            ],
            write_workbook=write_items_xlsx,
            tree=current_tree(session, bank),
        )
        assert len(filed_item_versions(session, bank)) == 30
    return out


def pinned_keys() -> list[TrustedKey]:
    """The package signers' real keys, as a regulator pins them from `key export` files."""
    return [
        key
        for name in ("李工", "某技师学院")
        for key in trusted_key_from_export(keys.export_public(name), f"{name}.pub")
    ]


def verdict(path: Path) -> dict[str, bool]:
    contents = read_package(path, read_workbook=read_items_table)
    checks = verify_package(contents.files, contents.bank_records, trusted=pinned_keys()).checks
    return {c.check: c.ok for c in checks}


def test_intact_package_verifies(package: Path) -> None:
    assert all(verdict(package).values())


def test_later_edits_are_not_filed(
    db: Database, package: Path, sample_items: list[ItemRecord]
) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        before = {v.sha256 for v in filed_item_versions(session, bank)}
    edited = dataclasses.replace(sample_items[0], explanation="修改后的解析")
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_items(session, bank, [edited], source="e.xlsx", actor="张老师")
        assert {v.sha256 for v in filed_item_versions(session, bank)} == before


def _edit_json_lines(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", "utf-8")


def test_changed_item_detected(package: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(package / "bank.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(
        row=2,
        column=header.index("答案") + 1,
        value="D" if sheet.cell(2, header.index("答案") + 1).value != "D" else "C",
    )
    book.save(package / "bank.xlsx")
    got = verdict(package)
    assert got["files"] is False and got["bank.xlsx"] is False


def test_removed_item_detected(package: Path) -> None:
    _edit_json_lines(package / "items.jsonl", lambda lines: lines[:-1])
    got = verdict(package)
    assert got["files"] is False and got["items"] is False


def test_swapped_signature_detected(package: Path) -> None:
    signed = json.loads((package / "signatures.json").read_text("utf-8"))
    first, second = signed["signatures"]
    first["signature"], second["signature"] = second["signature"], first["signature"]
    (package / "signatures.json").write_text(json.dumps(signed, ensure_ascii=False), "utf-8")
    assert verdict(package)["signatures"] is False


def test_forged_signature_with_another_key_detected(package: Path) -> None:
    keys.generate("冒名者", PASS)
    forger = keys.load_signer("冒名者", PASS)
    signed = json.loads((package / "signatures.json").read_text("utf-8"))
    from qbank.canonical import canonical_bytes

    signed["signatures"][1]["signature"] = base64.b64encode(
        forger.sign(canonical_bytes(signed["index"]))
    ).decode()
    (package / "signatures.json").write_text(json.dumps(signed, ensure_ascii=False), "utf-8")
    assert verdict(package)["signatures"] is False


def test_changed_report_figure_detected(package: Path) -> None:
    report = json.loads((package / "overlap-theory.json").read_text("utf-8"))
    report["numerator"] += 1
    (package / "overlap-theory.json").write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    got = verdict(package)
    assert got["files"] is False and got["overlap-theory"] is False


def test_added_and_missing_files_detected(package: Path, tmp_path: Path) -> None:
    (package / "extra.txt").write_text("x", "utf-8")
    assert verdict(package)["files"] is False
    other = tmp_path / "copy"
    shutil.copytree(package, other)
    (other / "extra.txt").unlink()
    (other / "reviews.jsonl").unlink()
    got = verdict(other)
    assert got["files"] is False and got["reviews"] is False
