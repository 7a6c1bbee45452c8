"""`qbank custody …` end to end: real keystore keys, a real database file, exit codes, files.

Arranged with the CLI itself (people, keys, batch) plus stored papers and a sealed bundle, as
assembly and `qbank seal` leave them; acted on through CliRunner.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from qbank.db import open_database
from qbank.model import CustodyEntry, Paper, SealedBundle
from qbank.people import get_person

INSTITUTION, WANG, LIU, DUDAO = "某技师学院", "王老师", "刘师傅", "督导员"
ENV = {"QBANK_PASSPHRASE": "custody-test-passphrase", "QBANK_USER": "tester"}


class Qbank:
    """Runs `qbank` on one database and keystore."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = str(root / "qbank.db")
        self.env = {**ENV, "QBANK_KEYS": str(root / "keys")}

    def __call__(self, *args: str, code: int = 0) -> str:
        result: Result = CliRunner().invoke(cli, [*args, "--db", self.db], env=self.env)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.output


def _arrange(root: Path) -> Qbank:
    """People with keystore keys, a bank, two batches with papers and a sealed bundle."""
    q = Qbank(root)
    for name, role in (
        (INSTITUTION, "institution"),
        (WANG, "staff"),
        (LIU, "staff"),
        (DUDAO, "regulator"),
    ):
        q("person", "add", name, "--role", role)
        q("key", "new", name)
    (root / "institution.pub").write_text(q("key", "export", INSTITUTION), encoding="utf-8")
    q("import", "tree", str(Path(__file__).parents[1] / "samples/electrician-4/tree.xlsx"),
      "--occupation", "6-31-01-03", "--level", "4", "--create", "--occupation-name", "电工")  # fmt: skip
    for day in ("12", "13"):
        q("batch", "new", "--occupation", "6-31-01-03", "--level", "4",
          "--date", f"2026-12-{day}", "--site", "长沙考点", "--candidates", "60",
          "--assembler", WANG, "--extractor", WANG, "--printer", LIU, "--transporter", LIU,
          "--sealer", WANG, "--sealer", LIU)  # fmt: skip
    db = open_database(q.db)
    with db.transaction() as session:
        for batch_id in (1, 2):
            session.add(
                Paper(
                    batch_id=batch_id,
                    code="A",
                    kind="theory",
                    seed="5",
                    blueprint={},
                    layout={"items": [batch_id]},
                    created_by="t",
                )
            )
            session.add(
                SealedBundle(
                    batch_id=batch_id,
                    sha256=hashlib.sha256(b"bundle").hexdigest(),
                    manifest_sha256="0" * 64,
                    file_name="bundle.tar.age",
                    signer_id=get_person(session, WANG).id,
                    payload="{}",
                    signature="",
                )
            )
    db.dispose()
    return q


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Batch 1 signed through 封存 (启封 designated, not yet signed); batch 2 through 组卷."""
    root = tmp_path_factory.mktemp("custody-cli")
    q = _arrange(root)
    (root / "印制清单.txt").write_text("A 卷 60 份\n", encoding="utf-8")
    q("custody", "layout", "--batch", "1", "--signer", INSTITUTION, "--open", DUDAO)
    q("custody", "layout", "--batch", "2", "--signer", INSTITUTION)
    steps = [
        ("assemble", WANG),
        ("extract", WANG),
        ("print", LIU, "--product", str(root / "印制清单.txt"), "--evidence", "copies=60"),
        ("transport", LIU, "--evidence", "from=印刷厂", "--evidence", "to=长沙考点"),
        ("seal", WANG, "--evidence", "seal_no=FC-1"),
        ("seal", LIU, "--evidence", "seal_no=FC-1"),
    ]
    outputs = [q("custody", "sign", "--batch", "1", "--step", s, "--person", p, *rest)
               for s, p, *rest in steps]  # fmt: skip
    (root / "outputs.json").write_text(json.dumps(outputs, ensure_ascii=False), encoding="utf-8")
    q("custody", "sign", "--batch", "2", "--step", "assemble", "--person", WANG)
    return root


@pytest.fixture
def q(signed: Path, tmp_path: Path) -> Qbank:
    """A private copy of the signed database and keystore."""
    copy = tmp_path / "work"
    shutil.copytree(signed, copy)
    return Qbank(copy)


def test_each_signature_reports_the_entry_and_what_remains(signed: Path) -> None:
    outputs = json.loads((signed / "outputs.json").read_text(encoding="utf-8"))
    first = outputs[0].splitlines()
    assert first[0].startswith("已签署第 0 号记录：组卷，王老师；Merkle 根 ")
    assert first[1] == "未完成（INCOMPLETE）：到封存为止的环节尚未签完，下一步：提取"
    assert outputs[4].splitlines()[1] == "未完成（INCOMPLETE）：“封存”已有 1 人签署，还需共 2 人"
    assert outputs[5].splitlines()[1].startswith("有效（VALID）：保管链完整，6 条记录")


def test_show_lists_layout_entries_and_verdict(q: Qbank) -> None:
    out = q("custody", "show", "--batch", "1")
    assert "  封存：王老师、刘师傅（需 2 人签署）" in out
    assert "  启封：督导员（需 1 人签署）" in out
    assert "copies=60" in out and "from=印刷厂 leg=1 to=长沙考点" in out
    assert out.rstrip().splitlines()[-1].startswith("有效（VALID）")
    shown = json.loads(q("custody", "show", "--batch", "1", "--json"))
    assert [e["step"] for e in shown["entries"]] == [
        "assemble",
        "extract",
        "print",
        "transport",
        "seal",
        "seal",
    ]
    assert shown["entries"][2]["products"][0]["name"] == "印制清单.txt"
    assert shown["verdict"]["verdict"] == "VALID"


def test_export_verifies_without_the_database(q: Qbank) -> None:
    out = q.root / "保管链-1"
    assert q("custody", "export", "--batch", "1", "--out", str(out)) == (
        f"已导出 12 个文件到 {out}\n"
    )
    (q.root / "qbank.db").unlink()  # --dir needs no database
    key = str(q.root / "institution.pub")
    result = json.loads(q("custody", "verify", "--dir", str(out), "--trusted-key", key, "--json"))
    assert (result["verdict"], result["code"], result["size"]) == ("VALID", None, 6)
    assert result["layout_signer"]["pinned"] is True
    unpinned = json.loads(q("custody", "verify", "--dir", str(out), "--json", code=1))
    assert (unpinned["verdict"], unpinned["code"]) == ("INVALID", "UNTRUSTED_LAYOUT_KEY")
    assert unpinned["layout_signer"]["fingerprint"] in unpinned["message"]
    (out / "checkpoints" / "6.txt").rename(q.root / "6.txt")
    log = out / "log.jsonl"
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:-1]))
    assert q("custody", "verify", "--dir", str(out), "--trusted-key", key, code=2) == (
        "未完成（INCOMPLETE）：“封存”已有 1 人签署，还需共 2 人\n"
    )
    english = q("--lang", "en", "custody", "verify", "--dir", str(out), "--trusted-key", key,
                "--checkpoint", str(q.root / "6.txt"), code=1)  # fmt: skip
    assert english == (
        "INVALID: a checkpoint of size 6 was received earlier but the log now has 5 entries: "
        "it was truncated\n"
    )


def test_verify_batch_exit_codes(q: Qbank) -> None:
    assert q("custody", "verify", "--batch", "1").startswith("有效（VALID）")
    out = q("--lang", "en", "custody", "verify", "--batch", "2", code=2)
    assert out == "INCOMPLETE: the steps through seal are not all signed; next: extract\n"
    assert "--batch" in q("custody", "verify", "--batch", "1", "--dir", "x", code=2)


def test_refused_signature_changes_nothing(q: Qbank) -> None:
    out = q("custody", "sign", "--batch", "2", "--step", "print", "--person", LIU, code=1)
    assert out == (
        "错误：未签署：无效（INVALID）：第 1 号记录：“印制”不能接在“组卷”之后"
        "（顺序：组卷、提取、印制、传送、封存、启封、归档）\n"
    )
    identity = q.root / "identity.txt"
    identity.write_text("AGE-SECRET-KEY-1\n", encoding="utf-8")
    q("custody", "sign", "--batch", "2", "--step", "extract", "--person", WANG,
      "--identity", str(identity), code=2)  # fmt: skip
    db = open_database(q.db)
    with db.transaction() as session:
        before = session.query(CustodyEntry).count()
    db.dispose()
    args = ["custody", "sign", "--batch", "1", "--step", "archive", "--person", WANG]
    assert "归档" in q(*args, code=1)  # not in the layout
    db = open_database(q.db)
    with db.transaction() as session:
        assert session.query(CustodyEntry).count() == before
    db.dispose()


def test_export_refuses_a_non_empty_directory(q: Qbank) -> None:
    out = q.root / "taken"
    out.mkdir()
    (out / "other.txt").write_text("keep me", encoding="utf-8")
    assert "已存在且不为空" in q("custody", "export", "--batch", "1", "--out", str(out), code=1)
    assert [p.name for p in out.iterdir()] == ["other.txt"]
    assert not [p for p in q.root.iterdir() if p.name.startswith(".taken.")]


def test_layout_refusals(q: Qbank) -> None:
    assert "已有保管布局" in q("custody", "layout", "--batch", "1", "--signer", INSTITUTION, code=1)
    q("batch", "new", "--occupation", "6-31-01-03", "--level", "4", "--date", "2026-12-20",
      "--site", "长沙考点", "--candidates", "60", "--assembler", WANG, "--extractor", WANG,
      "--printer", LIU, "--transporter", LIU, "--sealer", WANG)  # fmt: skip
    out = q("custody", "layout", "--batch", "3", "--signer", INSTITUTION, code=1)
    assert "只指定了 1 人" in out and "--quorum seal=1" in out
    assert "institution" in q("custody", "layout", "--batch", "3", "--signer", WANG, code=1)
    assert "KEY=VALUE" in q("--lang", "en", "custody", "layout", "--batch", "3",
                            "--signer", INSTITUTION, "--quorum", "seal", code=1)  # fmt: skip
    q("custody", "layout", "--batch", "3", "--signer", INSTITUTION, "--quorum", "seal=1")
