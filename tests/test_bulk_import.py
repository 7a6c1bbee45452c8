"""Bulk item imports: integrity of what they write, fingerprints stored for the overlap check.

An import writes items, versions, content keys and audit events with bulk statements and
stores each new text's token set and MinHash signature, so a later overlap check reads
everything and neither tokenises nor loads a tokenizer (checked in a fresh interpreter).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import delete, func, select, text

from cli.main import cli
from qbank import audit, integrity
from qbank.bank import ensure_bank, find_bank
from qbank.db import Database, open_database
from qbank.items import import_items, item_versions, list_items
from qbank.model import AuditEvent, AuditItem, Item, ItemVersion, Signature, TokenSet
from qbank.overlap.checks import check_theory
from qbank.overlap.fingerprints import TextUnit, TokenizerInfo, tokenizer_info
from qbank.overlap.report import report_bytes
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

ROOT = Path(__file__).resolve().parent.parent
OCC = "6-31-01-03"
WORDS = [
    "电动机",
    "接触器",
    "熔断器",
    "绝缘电阻",
    "变压器",
    "继电器",
    "短路",
    "过载",
    "接地",
    "电缆",
    "导线",
    "电压",
    "电流",
    "功率",
    "频率",
    "相序",
    "照明",
    "插座",
    "开关",
    "保护",
    "线路",
    "负载",
    "电容",
    "电感",
    "万用表",
    "兆欧表",
    "安全",
    "检修",
    "运行",
    "起动",
]


def records(n: int, seed: int = 3) -> list[ItemRecord]:
    """`n` distinct items; every tenth is a near copy (one word changed) of the item before."""
    rng = random.Random(seed)
    out: list[ItemRecord] = []
    stems: set[str] = set()
    while len(out) < n:
        row = len(out) + 2
        if out and len(out) % 10 == 0:
            words = list(out[-1].stem.removesuffix("（ ）。"))
            words[rng.randrange(len(words))] = rng.choice("电机线路")
            stem = "".join(words) + "（ ）。"
        else:
            stem = "".join(rng.choices(WORDS, k=rng.randint(6, 10))) + "（ ）。"
        if stem in stems:
            continue
        stems.add(stem)
        location = Location("bank.xlsx", sheet="Sheet1", row=row)
        if len(out) % 3 == 0:
            out.append(ItemRecord(ItemType.JUDGEMENT, stem, True, location))
        else:
            options = {k: rng.choice(WORDS) + str(i) for i, k in enumerate("ABCD")}
            out.append(ItemRecord(ItemType.SINGLE, stem, "B", location, options=options))
    return out


def store(db: Database, recs: list[ItemRecord]) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        import_items(session, bank, recs, source="bank.xlsx", actor="tester")


def test_bulk_import_keeps_the_database_whole(db: Database, db_url: str) -> None:
    first = records(300)
    store(db, first)
    changed = [*first]
    changed[5] = ItemRecord(
        changed[5].type, changed[5].stem, False, changed[5].location, options=changed[5].options
    )
    store(db, changed)  # one new version
    store(db, first)  # back to the first text: reverts to the stored version
    with db.transaction() as session:
        assert len(list_items(session, find_bank(session, OCC, 4))) == 300
        item_id = session.scalars(select(Item.id).order_by(Item.id)).all()[5]
        assert [v.seq for v in item_versions(session, item_id)] == [1, 2]
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity != "occupation")
        ).all()
        assert actions.count("create") == 1  # the bank
        assert actions.count("import") == 3
        assert actions.count(audit.ITEMS_ACTION) == 3  # one a batch: each import's one batch
        changed_items = session.scalars(select(AuditItem.action)).all()
        assert changed_items.count("create") == 300
        assert changed_items.count("new_version") == 1 and changed_items.count("revert") == 1
        assert audit.verify_chain(session) == []
        report = integrity.verify_database(session)
        assert report.ok, report.as_dict()
    result = CliRunner().invoke(cli, ["db", "verify", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output


def test_import_stores_every_texts_tokens_and_signature(db: Database) -> None:
    store(db, records(120))
    with db.transaction() as session:
        versions = session.scalar(select(func.count()).select_from(ItemVersion))
        assert session.scalar(select(func.count()).select_from(TokenSet)) == versions
        assert session.scalar(select(func.count()).select_from(Signature)) == versions


CHECK = """
import json, sys
from qbank.bank import find_bank
from qbank.db import Database, open_database
from qbank.overlap.checks import check_theory
from qbank.overlap.fingerprints import TextUnit, TokenizerInfo, tokenizer_info
from qbank.overlap.report import report_bytes
from qbank.policy import load_policy

db = Database(sys.argv[1])
with db.transaction() as session:
    report = check_theory(session, find_bank(session, "6-31-01-03", 4), load_policy(), actor="t")
loaded = sorted(m for m in ("jieba", "rjieba") if m in sys.modules)
print(json.dumps({"loaded": loaded, "report": report_bytes(report).decode()}))
"""


def comparable(body: str) -> dict[str, object]:
    data = json.loads(body)
    data.pop("generated_at", None)
    return data


def test_a_check_after_import_loads_no_tokenizer_and_finds_the_same(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qbank.db'}"
    db = open_database(url)
    store(db, records(200))
    done = subprocess.run(
        [sys.executable, "-c", CHECK, url], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    with db.transaction() as session:  # the same check with nothing stored: tokenised afresh
        triggers = session.scalars(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('token_sets', 'minhash_signatures')"
            )
        ).all()
        for name in triggers:  # the stores refuse deletes; this test wants them empty
            session.execute(text(f"DROP TRIGGER {name}"))
        session.execute(delete(Signature))
        session.execute(delete(TokenSet))
        fresh = check_theory(session, find_bank(session, OCC, 4), load_policy(), actor="t")
    assert fresh.pairs, "the planted near copies are found"
    assert comparable(result["report"]) == comparable(report_bytes(fresh).decode())


def test_the_default_tokenizer_is_named_without_loading_it() -> None:
    from qbank.text.tokens import default_tokenizer

    identity = default_tokenizer().identity
    assert tokenizer_info() == TokenizerInfo(identity.key, identity.record())
    probe = "from qbank.overlap.fingerprints import tokenizer_info; import sys; " + (
        "k = tokenizer_info().key; print(k, 'jieba' in sys.modules, 'rjieba' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [identity.key, "False", "False"]


def test_practical_import_stores_its_tasks_tokens(db: Database) -> None:
    def practical(code: str, title: str) -> PracticalSetRecord:
        rubric = (RubricRow("元件安装", 50, "每处错误扣2分"),)
        task = PracticalTask("1", title, "按图接线并通电试车。", 50, 120, "B-A", rubric=rubric)
        return PracticalSetRecord(code, f"操作技能试卷 {code}", Location("s.docx"), tasks=(task,))

    records = [practical("S1", "电动机正反转控制电路安装"), practical("S2", "照明电路安装")]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        import_practical(session, bank, records, source="s.docx", actor="tester")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TokenSet)) == 2
        stored = {u.key for u in _task_units(records)}
        assert set(session.scalars(select(TokenSet.text_sha256))) == stored
        assert set(session.scalars(select(Signature.text_sha256))) == stored


def _task_units(records: list[PracticalSetRecord]) -> list[TextUnit]:
    return [TextUnit(t.title, (t.requirements,)) for r in records for t in r.tasks]


def test_new_guids_are_increasing_version_7_uuids() -> None:
    """An item without 试题编号 gets a version 7 UUID (RFC 9562) written as `str(uuid.UUID)`
    writes one: the current time in milliseconds, then a count from a random start, so the
    numbers of one import increase (in text order too) and two imports' differ."""
    import time
    import uuid

    from qbank.items import _BATCH, _fresh_guids

    drawn = 2 * _BATCH + 345  # made a batch at a time: the count runs on across batches
    before = time.time_ns() // 1_000_000
    guids = list(_fresh_guids(drawn))
    after = time.time_ns() // 1_000_000
    assert len(set(guids)) == drawn and guids == sorted(guids)
    for guid in guids:
        parsed = uuid.UUID(guid)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, guid)
        assert before <= parsed.int >> 80 <= after
    low = [uuid.UUID(g).int & ((1 << 76) - 1) for g in guids]  # 12 bits, variant, 62 bits
    counts = [(c >> 64) << 62 | (c & ((1 << 62) - 1)) for c in low]
    assert counts == list(range(counts[0], counts[0] + drawn))
    assert not set(guids) & set(_fresh_guids(5000))
    assert list(_fresh_guids(0)) == []


def test_new_guids_carry_as_whole_numbers_do() -> None:
    """The numbers written a run of 2**48 counts at a time are those written whole, also where
    the count's low 48 bits carry into the digits before them, and its low 62 bits into the
    version's field."""
    from qbank.items import _guids_from

    def whole(millis: int, n: int) -> str:
        h = f"{millis:012x}{7 << 12 | n >> 62:04x}{2 << 62 | n & ((1 << 62) - 1):016x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    millis = 1_764_900_000_000
    for start in (0, (1 << 48) - 3, (1 << 62) - 2, (1 << 73) - 5, 12345 << 40):
        assert _guids_from(millis, start, 7) == [whole(millis, n) for n in range(start, start + 7)]
    assert _guids_from(millis, 5, 0) == []
