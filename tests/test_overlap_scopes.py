"""Overlap checks of stored banks: figures, tampering caught, adjudication, policy, scopes."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import cli
from qbank import keys
from qbank.bank import ensure_bank
from qbank.db import Database
from qbank.items import import_items, list_items
from qbank.model import Signature, TokenSet
from qbank.overlap.adjudication import adjudicate
from qbank.overlap.checks import (
    check_practical,
    check_practical_levels,
    check_theory,
    compare_banks,
)
from qbank.overlap.document import OverlapReport
from qbank.overlap.report import Unit, paper_overlap
from qbank.overlap.verification import verify_report
from qbank.people import add_person, set_public_key
from qbank.policy import load_policy
from qbank.practical import import_practical
from qbank.records import (
    ItemRecord,
    ItemType,
    Location,
    PracticalSetRecord,
    PracticalTask,
    RubricRow,
)
from qbank.review import SelfReview

OCC = "6-31-01-03"
POLICY = load_policy()
HERE = Location("t.xlsx", sheet="S", row=2)


def single(stem: str, options: tuple[str, str, str, str], answer: str = "A") -> ItemRecord:
    return ItemRecord(
        ItemType.SINGLE, stem, answer, HERE, options=dict(zip("ABCD", options, strict=True))
    )


DISTINCT = [
    single("热继电器在电动机控制电路中主要用作（ ）保护。", ("过载", "短路", "失压", "欠压")),
    single("熔断器在低压配电线路中主要起（ ）保护作用。", ("短路", "过载", "漏电", "过压")),
    single(
        "交流接触器铁心端面嵌装短路环的作用是（ ）。",
        ("减小振动和噪声", "增大吸力", "减小涡流", "防止剩磁"),
    ),
    single(
        "三相异步电动机星形-三角形降压起动时，起动电流为直接起动的（ ）。",
        ("1/3", "1/2", "1/√3", "2/3"),
    ),
    single(
        "用兆欧表测量电动机绕组绝缘电阻前，应先将被测设备（ ）。",
        ("断电并放电", "通电预热", "接地短接", "空载运行"),
    ),
    single(
        "PLC 的扫描工作方式中，输出刷新发生在（ ）阶段之后。",
        ("程序执行", "输入采样", "自诊断", "通信处理"),
    ),
]
# Near-copies of the first item: the same question reworded slightly.
COPIES = [
    single("热继电器在电动机控制电路中主要用作（ ）保护作用。", ("过载", "短路", "失压", "欠压")),
    single("在电动机控制电路中，热继电器主要用作（ ）保护。", ("过载", "短路", "失压", "欠压")),
]


def store(db: Database, records: list[ItemRecord], level: int = 4) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, level, actor="tester")
        import_items(session, bank, records, source="t.xlsx", actor="tester")


def theory(db: Database, policy=POLICY) -> OverlapReport:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        return check_theory(session, bank, policy, actor="tester")


def as_read(report: OverlapReport) -> OverlapReport:
    """The report as `--out` writes it and `verify` reads it back."""
    return OverlapReport.from_json(json.loads(json.dumps(report.to_json())))


def verify(db: Database, report: dict | OverlapReport) -> dict[str, bool]:  # type: ignore[type-arg]
    if isinstance(report, dict):
        report = OverlapReport.from_json(report)
    with db.transaction() as session:
        result = verify_report(session, report)
    return {c.figure: c.ok for c in result.checks}


def test_planted_copies_form_one_cluster(db: Database) -> None:
    store(db, DISTINCT + COPIES)
    report = theory(db)
    ids = [v.id for v in _items(db)]
    assert report.clusters == ((ids[0], ids[6], ids[7]),)
    assert (report.numerator, report.denominator) == (2, 8)
    assert report.rate == 0.25 and report.verdict == "pass"
    assert all(p.similarity >= 0.7 for p in report.pairs)
    assert all(p.similarity == round(p.shared / p.union, 6) for p in report.pairs)
    assert report.method.name == "exact"
    assert report.tokenizer.name == "qbank-jieba-precise-nohmm"
    assert report.policy.policy.max_repetition.source.startswith("湘人社鉴函〔2022〕1号")
    assert report.snapshot.count == 8


def _items(db: Database):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list_items(session, ensure_bank(session, OCC, 4, actor="tester"))


TAMPERINGS = {  # what is altered → the figure whose check must fail
    "rate": (lambda r: r.__setitem__("rate", 0.1), "rate"),
    "numerator": (lambda r: r.__setitem__("numerator", 1), "numerator"),
    "denominator": (lambda r: r.__setitem__("denominator", 80), "denominator"),
    "verdict": (lambda r: r.__setitem__("verdict", "fail"), "verdict"),
    "a pair dropped": (lambda r: r["pairs"].pop(), "pairs"),
    "a similarity": (lambda r: r["pairs"][0].__setitem__("similarity", 0.99), "pairs"),
    "a cluster member": (lambda r: r["clusters"][0].pop(), "clusters"),
    "snapshot hash": (lambda r: r["snapshot"].__setitem__("sha256", "0" * 64), "snapshot"),
    "an item dropped": (lambda r: r["items"].pop(), "snapshot"),
    "a version swapped": (lambda r: r["items"][0].__setitem__("version", "f" * 64), "snapshot"),
    "threshold": (lambda r: r.__setitem__("threshold", 0.9), "threshold"),
    "cap": (lambda r: r.__setitem__("cap", 0.5), "cap"),
    "an extra claim": (lambda r: r.__setitem__("approved_by", "regulator"), "approved_by"),
}


@pytest.mark.parametrize("alteration", TAMPERINGS)
def test_every_altered_figure_is_caught(db: Database, alteration: str) -> None:
    store(db, DISTINCT + COPIES)
    report = json.loads(json.dumps(theory(db).to_json()))
    assert all(verify(db, report).values())
    alter, figure = TAMPERINGS[alteration]
    alter(report)
    checks = verify(db, report)
    assert checks[figure] is False


def checked_bank_file(tmp_path: Path, sqlite_url: str) -> tuple[Path, Path]:
    """The items written as bank.xlsx, imported through the CLI and checked: (the file, the
    report the check wrote)."""
    from exporters.items_xlsx import write_items_xlsx

    path = tmp_path / "bank.xlsx"
    write_items_xlsx(DISTINCT + COPIES, path)
    runner = CliRunner()
    occ = ["--occupation", OCC, "--level", "4", "--db", sqlite_url]
    assert (
        runner.invoke(
            cli, ["import", "items", str(path), *occ, "--create", "--occupation-name", "电工"]
        ).exit_code
        == 0
    )
    out = tmp_path / "report.json"
    result = runner.invoke(cli, ["overlap", "check", *occ, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return path, out


def test_verify_from_items_file_without_database(tmp_path: Path, sqlite_url: str) -> None:
    path, out = checked_bank_file(tmp_path, sqlite_url)
    runner = CliRunner()
    ok = runner.invoke(cli, ["overlap", "verify", str(out), "--items", str(path), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"] is True
    report = json.loads(out.read_text("utf-8"))
    report["rate"] = 0.0
    out.write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    bad = runner.invoke(cli, ["overlap", "verify", str(out), "--items", str(path)])
    assert bad.exit_code == 1
    assert "rate                 不一致" in bad.output


def test_adjudicated_pair_not_counted_and_lapses_with_a_new_version(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(db, DISTINCT + COPIES[:1])
    ids = [v.id for v in _items(db)]
    assert theory(db).numerator == 1
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        signers = {name: keys.generate_signer(name, "pw") for name in ("李工", "tester")}
        for name, key in signers.items():
            person = add_person(session, name, ["reviewer"], actor="tester")
            set_public_key(session, person, key.public_key_raw, actor="t")
        importer = add_person(session, "tester", ["reviewer"], actor="tester")
        with pytest.raises(SelfReview):  # 'tester' imported the items: may not judge them
            adjudicate(
                session,
                bank,
                ids[0],
                ids[6],
                reviewer=importer,
                signer=signers["tester"],
                reason="x",
                actor="tester",
            )
        signer = signers["李工"]
        mark = adjudicate(
            session,
            bank,
            ids[0],
            ids[6],
            reviewer=add_person(session, "李工", ["reviewer"], actor="t"),
            signer=signer,
            reason="考查内容不同",
            actor="tester",
        )
        assert mark.payload and mark.signature
        assert keys.verify(
            signer.public_key_raw, mark.payload.encode(), base64.b64decode(mark.signature)
        )
    report = theory(db)
    assert report.numerator == 0 and report.pairs == ()
    assert report.adjudicated is not None and report.adjudicated[0].reviewer == "李工"
    assert report.adjudicated_counted is False
    assert all(verify(db, as_read(report)).values())
    store(db, [dataclasses.replace(COPIES[0], answer="B")])  # a new version of the copy
    assert theory(db).numerator == 1


def test_tokens_and_signatures_are_computed_once(db: Database) -> None:
    store(db, DISTINCT + COPIES)
    theory(db)
    with db.transaction() as session:
        counts = (
            session.scalar(select(func.count()).select_from(TokenSet)),
            session.scalar(select(func.count()).select_from(Signature)),
        )
    assert counts == (8, 8)
    theory(db)
    with db.transaction() as session:
        again = (
            session.scalar(select(func.count()).select_from(TokenSet)),
            session.scalar(select(func.count()).select_from(Signature)),
        )
    assert again == counts


def test_a_stricter_province_fails_the_same_bank(db: Database, tmp_path: Path) -> None:
    text = Path("qbank/policy/hunan-2022.toml").read_text("utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(
        text.replace('name = "hunan-2022"', 'name = "strict-10"').replace(
            "[overlap.max_repetition]\nvalue = 0.30", "[overlap.max_repetition]\nvalue = 0.10"
        ),
        "utf-8",
    )
    store(db, DISTINCT + COPIES)
    report = theory(db, load_policy(strict))
    assert (report.cap, report.verdict, report.policy.policy.name) == (
        0.1,
        "fail",
        "strict-10",
    )


def task(number: str, title: str, requirements: str, score: float) -> PracticalTask:
    return PracticalTask(
        number,
        title,
        requirements,
        score,
        60,
        "B-A",
        rubric=(RubricRow("操作", score, "每处错误扣2分"),),
    )


def pset(code: str, *tasks: PracticalTask) -> PracticalSetRecord:
    return PracticalSetRecord(code, f"试卷 {code}", HERE, tasks=tasks)


MOTOR = task(
    "1",
    "三相异步电动机正反转控制电路的安装与调试",
    "按电气原理图完成接触器联锁正反转控制电路的接线，通电试车并排除故障。",
    60,
)
PLC = task(
    "2", "PLC 控制交通信号灯的编程与调试", "编写梯形图程序，实现十字路口红绿灯按时序循环。", 40
)
LATHE = task(
    "1",
    "CA6140 车床电气控制线路故障检查与排除",
    "根据故障现象判断故障范围，用电阻法查找并排除两处故障。",
    60,
)
RECT = task(
    "2",
    "单相桥式整流滤波电路的焊接与测试",
    "在电路板上焊接整流滤波电路，测量输出电压并记录波形。",
    40,
)


def test_practical_sets_pairwise_share_by_score(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_practical(
            session,
            bank,
            [pset("S1", MOTOR, PLC), pset("S2", MOTOR, RECT), pset("S3", LATHE, RECT)],
            source="s.yaml",
            actor="tester",
        )
        report = check_practical(session, bank, POLICY, actor="tester")
    shares = {(p.a, p.b): (p.side_a.share, p.side_b.share) for p in report.set_pairs or ()}
    assert shares[("S1", "S2")] == (0.6, 0.6)  # the 60-point motor task is shared
    assert shares[("S2", "S3")] == (0.4, 0.4)
    assert shares[("S1", "S3")] == (0.0, 0.0)
    assert (report.rate, report.verdict) == (0.6, "fail")
    with db.transaction() as session:
        assert all(c.ok for c in verify_report(session, as_read(report)).checks)


def test_practical_task_shared_across_levels_fails(db: Database) -> None:
    with db.transaction() as session:
        four = ensure_bank(session, OCC, 4, actor="tester")
        three = ensure_bank(session, OCC, 3, actor="tester")
        import_practical(session, four, [pset("S1", MOTOR, PLC)], source="a.yaml", actor="tester")
        import_practical(session, three, [pset("T1", MOTOR, RECT)], source="b.yaml", actor="tester")
        report = check_practical_levels(session, four, POLICY, actor="tester")
    assert report.pairs[0].a == "S1#1" and report.pairs[0].b == "L3:T1#1"
    assert (report.numerator, report.denominator, report.verdict) == (60, 100, "fail")


def test_bank_against_reference_bank(db: Database) -> None:
    store(db, DISTINCT)
    store(db, [*COPIES, DISTINCT[1]], level=3)
    with db.transaction() as session:
        four = ensure_bank(session, OCC, 4, actor="tester")
        three = ensure_bank(session, OCC, 3, actor="tester")
        report = compare_banks(session, four, three, POLICY, actor="tester")
        assert all(c.ok for c in verify_report(session, as_read(report)).checks)
    assert (report.numerator, report.denominator) == (2, 6)


def test_paper_overlap_by_count_and_score() -> None:
    def unit(uid: int, tokens: str, score: float) -> Unit:
        return Unit(
            id=uid, version=f"v{uid}", tokens=tuple(tokens.split()), text_key=f"k{uid}", score=score
        )

    a = [
        unit(1, "热继电器 过载 保护", 1),
        unit(2, "熔断器 短路 保护", 1),
        unit(3, "星形 三角形 起动", 2),
    ]
    b = [
        unit(1, "热继电器 过载 保护", 1),
        unit(9, "熔断器 短路 保护", 1),
        unit(5, "兆欧表 绝缘", 1),
        unit(6, "PLC 扫描", 1),
    ]
    overlap = paper_overlap(a, b, POLICY)
    assert (overlap.shared_items, overlap.items) == (2, 3)
    assert overlap.by_count == pytest.approx(2 / 3) and overlap.by_score == pytest.approx(2 / 4)


def test_check_exit_status_follows_the_verdict(sqlite_url: str, tmp_path: Path) -> None:
    from exporters.items_xlsx import write_items_xlsx

    path = tmp_path / "bank.xlsx"
    write_items_xlsx(copy.deepcopy(DISTINCT[:2] + COPIES), path)
    runner = CliRunner()
    occ = ["--occupation", OCC, "--level", "4", "--db", sqlite_url]
    runner.invoke(
        cli, ["import", "items", str(path), *occ, "--create", "--occupation-name", "电工"]
    )
    result = runner.invoke(cli, ["overlap", "check", *occ])
    assert result.exit_code == 1
    assert "重复率 2/4 = 50.00%（上限 30%）" in result.output
    assert result.output.strip().endswith("结论：不通过")
