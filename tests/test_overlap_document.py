"""The overlap report as a typed document: old reports read back byte for byte and still
verify; a malformed one is refused naming its field; no mark is signed on a deleted item.

`tests/data/overlap/` holds reports written by `qbank overlap check|compare --out` before the
report became typed (with `bank.xlsx`, the items of the theory one, and `practical-sets.json`,
the contents of the practical sets as a filing package carries them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_overlap_scopes import COPIES, DISTINCT

from cli.main import cli
from qbank import keys
from qbank.bank import ensure_bank
from qbank.canonical import canonical_bytes
from qbank.db import Database
from qbank.errors import NotFound
from qbank.i18n import set_language
from qbank.items import import_items, list_items
from qbank.overlap.adjudication import adjudicate
from qbank.overlap.document import BadReport, OverlapReport
from qbank.overlap.verification import load_report, verify_practical_from_contents
from qbank.people import add_person, set_public_key
from qbank.policy import load_policy
from qbank.retention import delete_item

DATA = Path(__file__).parent / "data" / "overlap"
REPORTS = ("theory", "practical", "practical-levels", "reference-bank", "reference-file")
OCC = ["--occupation", "6-31-01-03", "--level", "4"]
NEW = ["--create", "--occupation-name", "电工"]


@pytest.mark.parametrize("name", REPORTS)
def test_an_old_report_reads_back_to_its_bytes(name: str) -> None:
    data = (DATA / f"{name}.json").read_bytes()
    report = OverlapReport.from_json(json.loads(data))
    assert canonical_bytes(report.to_json()) == data
    assert report.kind == json.loads(data)["scope"]["kind"]


def test_an_old_theory_report_still_verifies_from_its_items_file() -> None:
    report = str(DATA / "theory.json")
    items = str(DATA / "bank.xlsx")
    result = CliRunner().invoke(cli, ["overlap", "verify", report, "--items", items, "--json"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)
    assert checks["ok"] is True
    assert {"adjudicated", "clusters", "pairs", "snapshot", "items"} <= {
        c["figure"] for c in checks["checks"]
    }


def test_an_old_practical_report_still_verifies_from_its_set_contents() -> None:
    report = load_report(str(DATA / "practical.json"))
    sets = [tuple(s) for s in json.loads((DATA / "practical-sets.json").read_text("utf-8"))]
    result = verify_practical_from_contents(report, sets)  # type: ignore[arg-type]
    assert result.ok, result.failed


def _set(path: list[str | int], value: object) -> Callable[[Any], None]:
    def alter(report: Any) -> None:
        for key in path[:-1]:
            report = report[key]
        report[path[-1]] = value

    return alter


def _drop(key: str) -> Callable[[Any], None]:
    return lambda report: report.pop(key)


MALFORMED: dict[str, tuple[Callable[[Any], None], str, str]] = {
    # what is broken → (alteration, the field path the error names, the problem it states)
    "similarity over 1": (
        _set(["pairs", 1, "similarity"], 1.5),
        "pairs[1].similarity",
        "应为 0 到 1 之间的数",
    ),
    "similarity as text": (
        _set(["pairs", 0, "similarity"], "0.9"),
        "pairs[0].similarity",
        "应为 0 到 1 之间的数",
    ),
    "verdict missing": (_drop("verdict"), "verdict", "缺失"),
    "unknown verdict": (_set(["verdict"], "ok"), "verdict", "应为 pass 或 fail"),
    "version as a number": (_set(["items", 2, "version"], 5), "items[2].version", "应为文字"),
    "policy value as text": (
        _set(["policy", "max_repetition", "value"], "30%"),
        "policy.max_repetition.value",
        "应为非负数",
    ),
    "policy value missing": (
        lambda r: r["policy"].pop("seed"),
        "policy.seed",
        "缺失",
    ),
    "unknown scope": (_set(["scope", "kind"], "province"), "scope.kind", "应为 theory"),
    "cluster member as a list": (
        _set(["clusters", 0, 1], [7]),
        "clusters[0][1]",
        "应为试题编号",
    ),
    "counted flag as text": (
        _set(["adjudicated_counted"], "no"),
        "adjudicated_counted",
        "应为 true",
    ),
    "pairs not a list": (_set(["pairs"], {}), "pairs", "应为列表"),
    "numerator NaN": (_set(["numerator"], float("nan")), "numerator", "应为非负数"),
    "a practical section in a theory report": (_set(["set_pairs"], []), "set_pairs", "不应出现"),
}


def _malformed(tmp_path: Path, alteration: str) -> tuple[Path, str, str]:
    report = json.loads((DATA / "theory.json").read_text("utf-8"))
    alter, field, problem = MALFORMED[alteration]
    alter(report)
    path = tmp_path / "报告.json"
    path.write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    return path, field, problem


@pytest.mark.parametrize("alteration", MALFORMED)
def test_verify_refuses_a_malformed_report_naming_the_field(
    tmp_path: Path, alteration: str
) -> None:
    path, field, problem = _malformed(tmp_path, alteration)
    items = str(DATA / "bank.xlsx")
    result = CliRunner().invoke(cli, ["overlap", "verify", str(path), "--items", items])
    assert result.exit_code == 1
    assert f"重复率报告 {path} 有误：{field} {problem}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("alteration", ["similarity over 1", "verdict missing"])
def test_the_workbook_of_a_malformed_report_is_not_written(
    tmp_path: Path, sqlite_url: str, alteration: str
) -> None:
    path, field, problem = _malformed(tmp_path, alteration)
    out = tmp_path / "审题.xlsx"
    result = CliRunner().invoke(
        cli, ["overlap", "xlsx", str(path), "--out", str(out), "--db", sqlite_url]
    )
    assert result.exit_code == 1
    assert f"{field} {problem}" in result.output
    assert not out.exists()


def test_errors_name_the_field_in_english_too() -> None:
    report = json.loads((DATA / "practical.json").read_text("utf-8"))
    report["set_pairs"][0]["share_b"] = -0.5
    with pytest.raises(BadReport) as caught:
        OverlapReport.from_json(report)
    assert caught.value.field == "set_pairs[0].share_b"
    set_language("en")
    assert str(caught.value) == (
        "overlap report - is malformed: set_pairs[0].share_b should be a number between 0 and 1"
    )


def test_a_claim_the_format_does_not_know_is_a_mismatch_not_dropped() -> None:
    data = json.loads((DATA / "theory.json").read_text("utf-8"))
    data["approved_by"] = "regulator"
    report = OverlapReport.from_json(data)
    assert report.unverified == (("approved_by", "regulator"),)
    assert report.to_json()["approved_by"] == "regulator"


def test_the_workbook_of_a_report_file(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    db = ["--db", sqlite_url]
    items = str(DATA / "bank.xlsx")
    assert runner.invoke(cli, ["import", "items", items, *OCC, *NEW, *db]).exit_code == 0
    report = tmp_path / "r.json"
    checked = runner.invoke(cli, ["overlap", "check", *OCC, *db, "--out", str(report)])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "r.xlsx"
    result = runner.invoke(cli, ["overlap", "xlsx", str(report), "--out", str(out), *db])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "重复题组", "相似题对"]
    stems = [row[3] for row in book["重复题组"].iter_rows(min_row=2, values_only=True)]
    assert stems and all(s and "热继电器" in s for s in stems)


def test_a_deleted_item_cannot_be_adjudicated(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    db = ["--db", sqlite_url]
    items = str(DATA / "bank.xlsx")
    assert runner.invoke(cli, ["import", "items", items, *OCC, *NEW, *db]).exit_code == 0
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("QBANK_PASSPHRASE", "pw")
    database = Database(sqlite_url)
    with database.transaction() as session:
        ids = [v.id for v in list_items(session, ensure_bank(session, "6-31-01-03", 4, actor="t"))]
        person = add_person(session, "李工", ["reviewer"], actor="t")
        set_public_key(session, person, keys.generate("李工", "pw").public_key_raw, actor="t")
    database.dispose()
    first, copy = ids[0], ids[6]  # a flagged pair (the planted near-copy)
    deleted = runner.invoke(cli, ["item", "delete", str(copy), "--reason", "重复", *db])
    assert deleted.exit_code == 0, deleted.output
    mark = [str(first), str(copy), *OCC, *db, "--reviewer", "李工", "--reason", "考查内容不同"]
    result = runner.invoke(cli, ["overlap", "mark", *mark])
    assert result.exit_code == 1
    assert f"试题 {copy} 已删除，不能裁定" in result.output
    reversed_pair = [str(copy), str(first), *mark[2:]]
    assert f"试题 {copy} 已删除" in runner.invoke(cli, ["overlap", "mark", *reversed_pair]).output
    unknown = runner.invoke(cli, ["overlap", "mark", str(first), "9999", *mark[2:]])
    assert unknown.exit_code == 1 and "本题库中没有编号为 9999 的试题" in unknown.output
    live = runner.invoke(cli, ["overlap", "mark", str(first), str(ids[7]), *mark[2:]])
    assert live.exit_code == 0, live.output


def test_adjudicate_refuses_a_deleted_item(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    with db.transaction() as session:
        bank = ensure_bank(session, "6-31-01-03", 4, actor="tester")
        import_items(session, bank, DISTINCT + COPIES, source="t.xlsx", actor="tester")
        ids = [v.id for v in list_items(session, bank)]
        reviewer = add_person(session, "李工", ["reviewer"], actor="t")
        set_public_key(session, reviewer, keys.generate("李工", "pw").public_key_raw, actor="t")
        delete_item(session, ids[6], reason="重复", actor="tester", policy=load_policy())
    with db.transaction() as session, pytest.raises(NotFound) as refused:
        adjudicate(
            session,
            ensure_bank(session, "6-31-01-03", 4, actor="tester"),
            ids[0],
            ids[6],
            reviewer=add_person(session, "李工", ["reviewer"], actor="t"),
            signer=keys.load_signer("李工", "pw"),
            reason="考查内容不同",
            actor="tester",
        )
    assert (refused.value.key, refused.value.params) == ("overlap.item_deleted", {"id": ids[6]})
