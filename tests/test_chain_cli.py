"""The whole custody chain through the command line, as an institution runs it: designated
staff with keys, a batch, papers, the signed layout, 组卷, 提取 (`qbank seal`: the bundle, and
the papers leave the database in the clear), 印制 (the print office opens the bundle and signs
the print list), 传送, two 封存 signers, 启封 on the exam day (writes the papers back), export,
and the regulator's verification of the exported log without the database."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import copy_filed_bank
from test_assembly_service import THEORY

from cli.main import cli
from workflows.demo import DEMO_INSTITUTION, DEMO_PASSPHRASE

STAFF = ("组卷员", "提取员", "印制员", "押运员", "封存员甲", "封存员乙", "督导员")


@pytest.fixture
def world(filed_bank_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_filed_bank(filed_bank_db, tmp_path)  # keys of the reviewer and the institution too
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("QBANK_PASSPHRASE", DEMO_PASSPHRASE)
    monkeypatch.setenv("QBANK_DB", str(tmp_path / "qbank.db"))
    return tmp_path


def q(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result


def sealed_rows(db: Path) -> list[tuple[str, int, int]]:
    """Per paper: code, whether its layout names items, how many item rows it has."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT code, layout LIKE '%\"items\"%', "
            "(SELECT count(*) FROM paper_items WHERE paper_id = papers.id) "
            "FROM papers ORDER BY id"
        ).fetchall()


@pytest.mark.slow
def test_the_whole_chain_through_the_cli(world: Path) -> None:
    for name in STAFF:
        q("person", "add", name, "--role", "staff")
        q("key", "new", name)
    q("person", "add", "省鉴定中心", "--role", "regulator")
    escrow = world / "escrow.key"
    for name in ("印制员", "督导员"):
        q("key", "age-new", "--person", name)
    q("key", "age-new", "--person", "省鉴定中心")  # escrow; kept off-line in real life
    q("key", "age-export-identity", "--person", "印制员", "--out", str(world / "print.key"))
    q("key", "age-export-identity", "--person", "省鉴定中心", "--out", str(escrow))
    q("batch", "new", "--occupation", "6-31-01-03", "--level", "4",
      "--date", date.today().isoformat(), "--site", "长沙考点", "--candidates", "30",
      "--assembler", "组卷员", "--extractor", "提取员", "--printer", "印制员",
      "--transporter", "押运员", "--sealer", "封存员甲", "--sealer", "封存员乙")  # fmt: skip
    q("assemble", "--batch", "1", "--blueprint", str(THEORY), "--papers", "A,B")
    q("custody", "layout", "--batch", "1", "--signer", DEMO_INSTITUTION, "--open", "督导员")
    q("custody", "sign", "--batch", "1", "--step", "assemble", "--person", "组卷员")
    # Signing out of order is refused and signs nothing.
    out = q("custody", "sign", "--batch", "1", "--step", "print", "--person", "印制员", code=1)
    assert "未签署" in out.output

    recipient = json.loads(q("person", "show", "印制员", "--json").output)["age_recipient"]
    sealed = json.loads(
        q("seal", "--batch", "1", "--recipient", recipient, "--recipient-person", "省鉴定中心",
          "--person", "提取员",
          "--out", str(world / "sealed"), "--copies", "2", "--no-count-pages", "--json").output
    )  # fmt: skip
    assert sealed["papers_sealed"] == ["A", "B", "P"]  # `assemble` also draws the practical P
    assert sealed_rows(world / "qbank.db") == [("A", 0, 0), ("B", 0, 0), ("P", 0, 0)]
    q("custody", "sign", "--batch", "1", "--step", "extract", "--person", "提取员")

    bundle = Path(sealed["bundle"])
    q("unseal", str(bundle), "--identity", str(world / "print.key"), "--out", str(world / "印制"))
    q("unseal", str(bundle), "--identity", str(escrow), "--out", str(world / "托管"))
    print_list = world / "印制" / "documents" / "print-list.json"
    assert (
        print_list.read_bytes() == (world / "托管" / "documents" / "print-list.json").read_bytes()
    )
    q("custody", "sign", "--batch", "1", "--step", "print", "--person", "印制员",
      "--product", str(print_list), "--evidence", "copies=2")  # fmt: skip
    q("custody", "sign", "--batch", "1", "--step", "transport", "--person", "押运员",
      "--evidence", "from=印刷厂", "--evidence", "to=长沙考点")  # fmt: skip
    for sealer, seal_no in (("封存员甲", "FC-1"), ("封存员乙", "FC-1")):
        q("custody", "sign", "--batch", "1", "--step", "seal", "--person", sealer,
          "--evidence", f"seal_no={seal_no}")  # fmt: skip

    # 启封 without an identity is refused whole: no entry, papers still sealed.
    out = q("custody", "sign", "--batch", "1", "--step", "open", "--person", "督导员", code=1)
    assert "age" in out.output
    assert sealed_rows(world / "qbank.db") == [("A", 0, 0), ("B", 0, 0), ("P", 0, 0)]
    q("custody", "sign", "--batch", "1", "--step", "open", "--person", "督导员",
      "--identity-person", "督导员")  # fmt: skip
    assert sealed_rows(world / "qbank.db") == [("A", 1, 100), ("B", 1, 100), ("P", 0, 0)]
    q("paper", "check", "1")

    q("custody", "export", "--batch", "1", "--out", str(world / "保管链"))
    (world / "institution.pub").write_text(q("key", "export", DEMO_INSTITUTION).output)
    verdict = q("custody", "verify", "--dir", str(world / "保管链"),
                "--trusted-key", str(world / "institution.pub"), "--json")  # fmt: skip
    assert json.loads(verdict.output)["verdict"] == "VALID"
    stored = json.loads(q("custody", "verify", "--batch", "1", "--json").output)
    assert (stored["verdict"], stored["size"]) == ("VALID", 7)
