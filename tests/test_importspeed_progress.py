"""An item import reports its rows as it reads them ("read"), then its items as they are
stored ("store"), through the workflow's Progress callback; the CLI shows both stages."""

from __future__ import annotations

import csv
from pathlib import Path

from test_progress import BANK, NEW, qbank

from qbank.db import open_database
from workflows.importing import import_items_file
from workflows.types import BankRef

ROWS = 2_500


def bank_csv(path: Path, rows: int = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["题型", "题干", "答案"])
        for k in range(rows):
            writer.writerow(["判断题", f"第{k}号电动机外壳必须可靠接地。", "√"])
    return path


def test_rows_read_then_items_stored(tmp_path: Path) -> None:
    path = bank_csv(tmp_path / "bank.csv")
    calls: list[tuple[str, int, int]] = []
    db = open_database(f"sqlite:///{tmp_path / 'qbank.db'}")
    try:
        result = import_items_file(
            db.transaction,
            BankRef("6-31-01-03", 4, "电工"),
            path,
            actor="tester",
            create=True,
            progress=lambda stage, done, total: calls.append((stage, done, total)),
        )
    finally:
        db.dispose()
    stages = [stage for stage, *_ in calls]
    assert stages == sorted(stages, key=["read", "store"].index)  # every read before any store
    read = [(done, total) for stage, done, total in calls if stage == "read"]
    stored = [(done, total) for stage, done, total in calls if stage == "store"]
    assert {total for _, total in read} == {ROWS + 1}  # the header row is read too
    assert [done for done, _ in read] == sorted(done for done, _ in read)
    assert read[0][0] < ROWS and read[-1] == (ROWS + 1, ROWS + 1)  # seen on the way
    assert result.records == ROWS == result.summary.imported
    assert {total for _, total in stored} == {ROWS}
    assert stored[-1] == (ROWS, ROWS)
    assert [done for done, _ in stored] == sorted(done for done, _ in stored)


def test_the_cli_shows_rows_read(tmp_path: Path) -> None:
    path = bank_csv(tmp_path / "bank.csv")
    db = str(tmp_path / "qbank.db")
    out, err = qbank("--db", db, "import", "items", str(path), *BANK, *NEW, tty=True)
    assert "正在读取" in err
    assert "正在保存试题" in err
    assert str(ROWS) in out
