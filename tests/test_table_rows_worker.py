"""A large sheet's last rows (`WORKER_ROW_SHARE`) read by a worker process: the same records
and problems, in the same order, as reading it alone, including when the worker fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_table_items import workbook, write_csv

import importers.table_items as table_items
from importers.table_items import read_items_table
from qbank import worker
from qbank.records import ItemRecord, Parsed

HEADER = ["序号", "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "难度", "鉴定点代码"]


def _rows(n: int) -> list[list[object]]:
    """`n` rows of every kind: good items, problems (bad answers, types, codes, difficulty),
    a repeated header, blank rows, letter judgements, a number used twice far apart."""
    rows: list[list[object]] = [HEADER]
    for i in range(n):
        kind = i % 9
        number: object = i + 1 if i != n - 8 else 2  # number 2 again near the end
        if kind == 0:
            rows.append([number, "判断题", f"第{i}题 电动机外壳应接地。", "", "", "", "", "√", "易", "BAC012"])
        elif kind == 1:
            rows.append([number, "单选", f"第{i}题 兆欧表测量（ ）", "电压", "电流", "绝缘电阻", "功率", "C", 0.5, "B-A-C-013"])
        elif kind == 2:
            rows.append([number, "多选", f"第{i}题 保护有（ ）", "短路", "过载", "欠压", "", "ABD", "较难", ""])
        elif kind == 3:
            rows.append([number, "单选", f"第{i}题 答案不在选项中", "甲", "乙", "", "", "E", "", ""])
        elif kind == 4:
            rows.append([number, "问答", f"第{i}题 类型不认识", "", "", "", "", "对", "", ""])
        elif kind == 5:
            rows.append(HEADER)  # pasted page by page
        elif kind == 6:
            rows.append(["", "", "", "", "", "", "", "", "", ""])
        elif kind == 7:
            rows.append([number, "判断", f"第{i}题 字母判断", "正确", "错误", "", "", "A", "7", "X-1"])
        else:
            rows.append([number, "单选", f"第{i}题 难度坏 U_{{2}}", "A项", "B项", "", "", "b", "很难", "B-A"])
    return rows


def _read(path: Path, *, parallel: bool, monkeypatch: pytest.MonkeyPatch) -> Parsed[ItemRecord]:
    monkeypatch.setattr(table_items, "PARALLEL_ROWS", 4 if parallel else 10**9)
    monkeypatch.setattr(worker, "cores", lambda: 2)
    return read_items_table(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("rows")
    rows = _rows(90)
    return [
        workbook(folder / "bank.xlsx", {"判断题": rows[:40], "Sheet2": [HEADER, *rows[40:]]}),
        write_csv(folder / "bank.csv", rows),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["xlsx", "csv"])
def test_worker_half_reads_as_one_process(
    files: list[Path], index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _read(files[index], parallel=False, monkeypatch=monkeypatch)
    started: list[object] = []
    real = table_items._start_worker

    def counted() -> worker.Worker | None:
        started.append(w := real())
        return w

    monkeypatch.setattr(table_items, "_start_worker", counted)
    split = _read(files[index], parallel=True, monkeypatch=monkeypatch)
    assert started, "the worker was not used"
    assert split.records == alone.records
    assert list(split.problems) == list(alone.problems)
    assert len(alone.records) >= 20 and len(alone.problems) >= 20
    if files[index].suffix == ".csv":  # one sheet: number 2 repeats across the halves
        assert any(p.key == "problem.duplicate_number" for p in alone.problems)


def test_failed_worker_reads_here(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _read(files[1], parallel=False, monkeypatch=monkeypatch)

    def failing(self: worker.Worker, number: int) -> object:
        raise worker.WorkerFailed("planted")

    monkeypatch.setattr(worker.Worker, "result", failing)
    split = _read(files[1], parallel=True, monkeypatch=monkeypatch)
    assert split.records == alone.records
    assert list(split.problems) == list(alone.problems)


@pytest.mark.parametrize("index", [0, 1], ids=["xlsx", "csv"])
def test_progress_counts_the_worker_rows_part_by_part(
    files: list[Path], index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress reaches the total exactly, never goes back, and the worker's rows arrive
    a part at a time, not as one jump of half the sheet at the end."""
    monkeypatch.setattr(table_items, "PROGRESS_EVERY", 5)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(table_items, "PARALLEL_ROWS", 4)
    monkeypatch.setattr(worker, "cores", lambda: 2)
    parsed = read_items_table(
        files[index], progress=lambda done, total: calls.append((done, total))
    )
    assert parsed.records
    done = [d for d, _ in calls]
    total = calls[-1][1]
    assert done == sorted(done) and done[-1] == total
    steps = [b - a for a, b in zip([0, *done], done, strict=False)]
    rows = 91 if index == 1 else 92  # data rows and headers of the file
    assert total == rows
    assert max(steps) <= -(-rows // 2 // table_items.WORKER_PARTS) + 5 + 2


def test_large_file_starts_its_worker_before_the_parse(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file from `worker.EARLY_START_BYTES` on starts its row worker before it is parsed: its
    large sheet uses that worker (none is started after the parse), and when no sheet is
    large enough the worker is closed unused. The records are the same either way."""
    alone = _read(files[1], parallel=False, monkeypatch=monkeypatch)
    started: list[worker.Worker] = []
    real = table_items._start_worker

    def counted() -> worker.Worker | None:
        w = real()
        assert w is not None
        started.append(w)
        return w

    monkeypatch.setattr(table_items, "_start_worker", counted)
    monkeypatch.setattr(worker, "EARLY_START_BYTES", 1)
    unused = _read(files[1], parallel=False, monkeypatch=monkeypatch)
    assert len(started) == 1
    assert started[0]._process.poll() is not None  # closed, not left running
    assert unused.records == alone.records

    started.clear()
    split = _read(files[1], parallel=True, monkeypatch=monkeypatch)
    assert len(started) == 1  # the early worker read the last rows
    assert started[0]._process.poll() is not None
    assert split.records == alone.records
    assert list(split.problems) == list(alone.problems)

    started.clear()
    monkeypatch.setattr(worker, "EARLY_START_BYTES", files[1].stat().st_size + 1)
    _read(files[1], parallel=True, monkeypatch=monkeypatch)
    assert len(started) == 1  # a smaller file: started after the parse, as before


def test_records_come_back_from_the_worker_as_they_were() -> None:
    """A worker's records cross as columns (`_packed`) and are built again (`_unpacked`):
    every field, each given a value of its own, comes back in its place."""
    from qbank.records import Importance, ItemType, Location

    where = Location("bank.xlsx", "单选题")
    records = [
        ItemRecord(
            type=ItemType.SINGLE if k else ItemType.MULTIPLE,
            stem=f"题干{k}",
            answer="A" if k else "AB",
            location=where.at_row(k + 2),
            options={"A": f"甲{k}", "B": "乙"},
            number=str(k),
            guid=f"g{k}",
            knowledge_code=f"B-A-C-{k:03d}",
            knowledge_path=("一级", f"二级{k}"),
            importance=Importance.X,
            difficulty=0.25 + k,
            discrimination=0.5 + k,
            score=1.5 + k,
            explanation=f"解析{k}",
            source=f"来源{k}",
            author=f"作者{k}",
        )
        for k in range(3)
    ]
    back = table_items._unpacked(table_items._packed(records), where)
    assert back == records
    assert [vars(r) for r in back] == [vars(r) for r in records]
