"""Spreadsheet reading benchmark: calamine against openpyxl read-only, in the same run.

    python benchmarks/spreadsheet.py [--items 55000] [--json]

Writes an items workbook in the national Excel layout (题号, 试题编号, 题型, 题干, 选项A…D,
答案, 知识点, 鉴定点, 难度, 分数, 解析; real-looking Chinese text), the shape of a large bank,
with openpyxl's write-only mode (no `<dimension>`, inline strings, as streaming writers do).
Then, each in-process and each once:

- `openpyxl`: openpyxl read-only, every cell's value (the parse alone, the old floor);
- `calamine`: python-calamine, every cell's value (the parse alone, the new floor);
- `rows (openpyxl)`: `importers.tables` rows as the importers used to get them (limits
  checked, openpyxl forced);
- `rows (calamine)`: `importers.tables.read_sheets` as it reads now (zip limits, extent
  checks, calamine, row conversion);
- `records (openpyxl)`, `records (calamine)`: `read_items_table`, items out, both ways.

Seconds are wall-clock with CPU seconds beside them. Nothing is asserted;
tests/test_calamine.py holds the behaviour (same records both ways).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook, load_workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from importers import tables, workbook_extent  # noqa: E402
from importers.table_items import read_items_table  # noqa: E402

WORDS = "电工安全用电绝缘导线变压器电动机继电保护接地电阻测量仪表电缆敷设照明线路故障检修交流直流"
TYPES = ("判断题", "单项选择题", "多项选择题")


def write_bank(path: Path, items: int) -> None:
    rnd = random.Random(7)

    def text(low: int, high: int) -> str:
        return "".join(rnd.choice(WORDS) for _ in range(rnd.randint(low, high)))

    book = Workbook(write_only=True)
    sheet = book.create_sheet("试题")
    sheet.append(
        ["题号", "试题编号", "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案",
         "知识点一级", "鉴定点", "难度", "分数", "解析"]
    )  # fmt: skip
    for number in range(1, items + 1):
        kind = number % 3
        options = [None] * 4 if kind == 0 else [text(4, 12) for _ in range(4)]
        stem = text(15, 60) + ("。" if kind == 0 else "（ ）。")
        answer = ("√", "B", "ACD")[kind]
        sheet.append(
            [number, f"Q{number:06d}", TYPES[kind], stem, *options, answer, "基础知识",
             f"BAC{number % 900:03d}", 0.5, 1, "解析：" + text(10, 30)]
        )  # fmt: skip
    book.save(path)


def openpyxl_cells(path: Path) -> int:
    book = load_workbook(path, read_only=True, data_only=True)
    count = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            count += len(row)
    book.close()
    return count


def calamine_cells(path: Path) -> int:
    with CalamineWorkbook.from_path(str(path)) as book:
        return sum(
            len(row)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
        )


def timed(run: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=55_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qbank-bench-") as folder:
        path = Path(folder) / "bank.xlsx"
        write_bank(path, args.items)
        forced = workbook_extent.calamine_reads_xlsx

        def openpyxl_forced(run: Callable[[], object]) -> Callable[[], object]:
            def wrapped() -> object:
                workbook_extent.calamine_reads_xlsx = lambda *a: False  # type: ignore[assignment]
                try:
                    return run()
                finally:
                    workbook_extent.calamine_reads_xlsx = forced

            return wrapped

        rows = lambda: sum(len(s.rows) for s in tables.read_sheets(path, path.name)[0])  # noqa: E731
        records = lambda: len(read_items_table(path).records)  # noqa: E731
        steps: list[tuple[str, Callable[[], object]]] = [
            ("openpyxl", lambda: openpyxl_cells(path)),
            ("calamine", lambda: calamine_cells(path)),
            ("rows (openpyxl)", openpyxl_forced(rows)),
            ("rows (calamine)", rows),
            ("records (openpyxl)", openpyxl_forced(records)),
            ("records (calamine)", records),
        ]
        results = {}
        for name, run in steps:
            wall, cpu, out = timed(run)
            results[name] = {"wall": round(wall, 3), "cpu": round(cpu, 3), "count": out}
        size = path.stat().st_size
    if args.json:
        print(json.dumps({"items": args.items, "bytes": size, "results": results}, indent=2))
        return
    print(f"{args.items} items, {size / 1e6:.1f} MB xlsx")
    for name, result in results.items():
        print(
            f"  {name:<20} {result['wall']:7.2f} s wall {result['cpu']:7.2f} s cpu  ({result['count']})"
        )
    for what in ("", "rows ", "records "):
        old, new = (
            results[f"{what}(openpyxl)" if what else "openpyxl"],
            results[f"{what}(calamine)" if what else "calamine"],
        )
        print(f"  {what or 'parse '}speed-up: {old['wall'] / new['wall']:.1f}x")


if __name__ == "__main__":
    main()
