"""Theory items from an Excel workbook (.xlsx/.xlsm) or a CSV file: one item per row.

Two layouts are recognised by their header row, found in the first 20 rows (title and note
rows may come first) of every sheet:

- national style: 题型, 题干, 选项A…选项H, 答案, 知识点一级…六级, 鉴定点 (or 鉴定点代码),
  重要程度, 难度, 区分度, 分数, 解析, 出处, 试题编号 (GUID), 作者/命题人, optionally 题号/序号;
- exam-app style: 题干（必填）, 题型 （必填）, 选项 A…选项 H, 正确答案（必填）, 解析, 章节, 难度.

Header cells are compared without spaces, line breaks, `*` and bracketed notes such as
`（必填）`, in either width, through a table of synonyms (`_ALIASES`). Any other layout can be
read with `mapping` (`{"列名": "field"}`, what `--map 列名=field` gives). At least 题干 and 答案
are needed; without a 题型 column, a sheet named 判断题/单选题/多选题 gives the type.

Knowledge points: 章节 and 知识点一级…六级 form `knowledge_path`; a code (`B-A-C-012`,
`BAC012`) in the 鉴定点 column or as the last level becomes `knowledge_code`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from formats.item_layout import OPTION_LETTERS, split_option_line
from importers.items import RawItem, build_item, check_duplicate_numbers
from importers.tables import (
    HEADER_SEARCH_ROWS,
    Cell,
    Row,
    Sheet,
    cell_text,
    display_name_of,
    is_header,
    norm_header,
    pad,
    read_sheets,
)
from qbank import worker as workers
from qbank.records import ItemRecord, ItemType, Location, Parsed, Problem, ProblemList
from qbank.text.normalize import (
    canonical_knowledge_code,
    clean_text,
    parse_item_type,
    parse_judgement,
    parse_letters,
)
from qbank.worker import Worker, WorkerFailed

_log = logging.getLogger(__name__)

KNOWLEDGE_LEVELS = 6
RowProgress = Callable[[int, int], None]
"""Called as rows are read: (rows read so far, rows of every sheet in all)."""
PROGRESS_EVERY = 1000  # rows between two progress calls
OPTION_FIELDS = tuple(f"option_{c.lower()}" for c in OPTION_LETTERS)
LEVEL_FIELDS = tuple(f"knowledge_{n}" for n in range(1, KNOWLEDGE_LEVELS + 1))
PLAIN_FIELDS = (
    "type",
    "stem",
    "options",
    "answer",
    "number",
    "guid",
    "knowledge_code",
    "knowledge_path",
    "importance",
    "difficulty",
    "discrimination",
    "score",
    "explanation",
    "source",
    "author",
)
MAP_FIELDS = PLAIN_FIELDS + OPTION_FIELDS + LEVEL_FIELDS
"""Field names `mapping` may name."""

REQUIRED = ("stem", "answer")
REQUIRED_LABEL = "题干、答案"

# `knowledge_point` (a 鉴定点 column) holds a code or a name; it is not offered to --map.
_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("题型", "试题类型", "题目类型", "类型", "题类", "试题题型", "题型名称"),
    "stem": (
        "题干",
        "题目",
        "试题内容",
        "题目内容",
        "试题题干",
        "题目题干",
        "题目名称",
        "问题",
        "试题",
        "内容",
    ),
    "answer": ("答案", "正确答案", "标准答案", "参考答案", "试题答案", "题目答案"),
    # all options in one cell: `A．伏特 B．欧姆`, one per line or on one line
    "options": ("选项", "备选项", "选项内容", "试题选项", "题目选项", "答案选项", "备选答案"),
    "number": ("题号", "序号", "编号", "题目序号", "试题序号"),
    "guid": ("试题编号", "题目编号", "试题id", "题目id", "id", "guid", "试题guid", "试题代码"),
    "knowledge_code": (
        "鉴定点代码",
        "鉴定点编码",
        "鉴定点编号",
        "知识点代码",
        "知识点编码",
        "鉴定要素代码",
    ),
    "knowledge_point": ("鉴定点", "鉴定点名称", "鉴定要素", "考核点"),
    "knowledge_path": (
        "章节",
        "所属章节",
        "章节名称",
        "知识点",
        "知识点名称",
        "考点",
        "分类",
        "题目分类",
        "试题分类",
    ),
    "importance": ("重要程度", "重要性", "重要度", "鉴定点重要程度"),
    "difficulty": ("难度", "难度系数", "难易度", "难易程度", "难度等级", "难度值", "试题难度"),
    "discrimination": ("区分度", "区分度系数"),
    "score": ("分数", "分值", "题分", "每题分数", "试题分数"),
    "explanation": ("解析", "答案解析", "试题解析", "题目解析", "解题思路", "解释"),
    "source": ("出处", "来源", "试题来源", "题目来源", "试题出处"),
    "author": ("作者", "命题人", "出题人", "编写人", "编写者", "命题者", "命题专家"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_OPTION_HEADER = re.compile(r"^(?:选项)?([a-h])(?:选项|项)?(?:内容)?$")
_LEVEL_HEADER = re.compile(
    r"^(?:知识点|鉴定范围)?([一二三四五六1-6])级(?:知识点|鉴定范围)?(?:名称)?$|^知识点([1-6])$"
)
_LEVEL_DIGITS = {c: i for i, c in enumerate("一二三四五六", start=1)}

# Problem field for each column field, as `field.*` labels name them.
_PROBLEM_FIELD = {
    **{f: "options" for f in OPTION_FIELDS},
    **{f: "knowledge_path" for f in LEVEL_FIELDS},
    "knowledge_code": "knowledge_point",
    "knowledge_point": "knowledge_point",
}


def header_field(cell: Cell) -> str | None:
    """The item field a header cell names (`选项 A` → `option_a`), or None."""
    key = norm_header(cell)
    if not key:
        return None
    if key in _ALIAS_TO_FIELD:
        return _ALIAS_TO_FIELD[key]
    if match := _OPTION_HEADER.match(key):
        return f"option_{match.group(1)}"
    if match := _LEVEL_HEADER.match(key):
        digit = match.group(1) or match.group(2)
        return f"knowledge_{_LEVEL_DIGITS.get(digit) or int(digit)}"
    return None


@dataclass
class _Columns:
    """Which column holds which field, as read from one header row."""

    index: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    mapped_keys: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return all(name in self.index for name in REQUIRED)


def _columns(cells: Sequence[Cell], mapping: dict[str, str]) -> _Columns:
    """Assign columns: `mapping` first (it overrides synonyms), then the synonym table."""
    columns = _Columns()
    keys = [norm_header(c) for c in cells]
    for i, key in enumerate(keys):
        if key and key in mapping and mapping[key] not in columns.index:
            columns.index[mapping[key]] = i
            columns.mapped_keys.add(key)
    mapped_fields = set(columns.index)
    for i, cell in enumerate(cells):
        if keys[i] in columns.mapped_keys:
            continue
        name = header_field(cell)
        if name is None or name in mapped_fields:
            continue
        if name in columns.index:
            columns.duplicates.append((name, columns.index[name], i))
        else:
            columns.index[name] = i
    return columns


def _point_code(text: str) -> str | None:
    """Canonical code if `text` is a 鉴定点 code (letters then a number), else None."""
    code = canonical_knowledge_code(text)
    if code is not None and code.rsplit("-", 1)[-1].isdigit():
        return code
    return None


def _split_point(text: str) -> tuple[str | None, str]:
    """`B-A-C-012` → (code, ""); `B-A-C-012 安全用电` → (code, name); `安全用电` → (None, name)."""
    if code := _point_code(text):
        return code, ""
    head, _, rest = text.partition(" ")
    if rest and (code := _point_code(head)):
        return code, rest.strip()
    return None, text


def _knowledge(values: dict[str, str]) -> tuple[str | None, list[str]]:
    """(code text for build_item, path of names) from 章节, 知识点一级…六级 and 鉴定点."""
    path = [values[f] for f in ("knowledge_path", *LEVEL_FIELDS) if values.get(f)]
    code = values.get("knowledge_code") or None
    point = values.get("knowledge_point", "")
    if point:
        point_code, name = _split_point(point)
        if point_code and not code:
            code = point_code
        if name:
            path.append(name)
    if path and not code:
        last_code, name = _split_point(path[-1])
        if last_code:
            code = last_code
            if name:
                path[-1] = name
            else:
                path.pop()
    return code, path


def _split_options(text: str) -> dict[str, str]:
    """`A．伏特 B．欧姆` (one line or several) → {A: 伏特, B: 欧姆}; unmarked text is kept as
    option A so the item is reported, not silently emptied."""
    options: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        found = split_option_line(line, last)
        if found is None:
            if last:
                options[last] = f"{options[last]} {line.strip()}"
            else:
                options["A"] = line.strip()
                last = "A"
            continue
        for letter, value in found:
            options[letter] = value
            last = letter
    return options


def judgement_from_letter(raw: RawItem) -> None:
    """Exam apps write a judgement as options A 正确 / B 错误 with answer `A`: read it as √/×."""
    if parse_judgement(raw.answer) is not None or not raw.options:
        return
    letters = parse_letters(raw.answer)
    texts = {k: v for k, v in raw.options.items() if clean_text(v)}
    if not letters or len(letters) != 1 or letters not in texts:
        return
    if all(parse_judgement(v) is not None for v in texts.values()):
        raw.answer = clean_text(texts[letters])
        raw.options = {}


def _raw_item(values: dict[str, str], location: Location, sheet_type: ItemType | None) -> RawItem:
    code, path = _knowledge(values)
    options = {
        letter: values[name]
        for letter, name in zip(OPTION_LETTERS, OPTION_FIELDS, strict=True)
        if values.get(name)
    }
    if not options and values.get("options"):
        options = _split_options(values["options"])
    raw = RawItem(
        location=location,
        type=values.get("type") or sheet_type,
        stem=values.get("stem", ""),
        options=options,
        answer=values.get("answer", ""),
        number=values.get("number") or None,
        guid=values.get("guid") or None,
        knowledge_code=code,
        knowledge_path=path,
        importance=values.get("importance") or None,
        difficulty=values.get("difficulty") or None,
        discrimination=values.get("discrimination") or None,
        score=values.get("score") or None,
        explanation=values.get("explanation") or None,
        source=values.get("source") or None,
        author=values.get("author") or None,
    )
    item_type = parse_item_type(values["type"]) if values.get("type") else sheet_type
    if item_type is ItemType.JUDGEMENT:
        judgement_from_letter(raw)
    return raw


@dataclass
class _SheetResult:
    records: list[ItemRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=ProblemList)
    has_header: bool = False
    mapped_keys: set[str] = field(default_factory=set)
    rows_read: int = 0
    """Rows already reported to `advance`."""


_RELEASED: Row = (0, [])


def _read_sheet(
    sheet: Sheet,
    display: str,
    mapping: dict[str, str],
    advance: Callable[[int], None],
    release: bool = False,
    workers_from: workers.Spare | None = None,
) -> _SheetResult:
    """The items of one sheet; `advance(n)` as each `PROGRESS_EVERY` rows (and the rest at
    the end) have been read. With `release`, the sheet's data rows are dropped as read. A
    large sheet's row worker comes from `workers_from` (else a new one)."""
    result = _SheetResult()
    _read_rows(sheet, display, mapping, advance, result, release, workers_from or workers.Spare())
    advance(len(sheet.rows) - result.rows_read)
    return result


def _read_rows(
    sheet: Sheet,
    display: str,
    mapping: dict[str, str],
    advance: Callable[[int], None],
    result: _SheetResult,
    release: bool,
    workers_from: workers.Spare,
) -> None:
    """Into `result`: the sheet's header, records and problems; with `release` each data
    row is dropped from `sheet` once read."""
    head = sheet.rows[:HEADER_SEARCH_ROWS]
    found = next(
        ((i, c) for i, (_, cells) in enumerate(head) if (c := _columns(cells, mapping)).is_header),
        None,
    )
    if found is None:
        for _, cells in head:
            result.mapped_keys |= _columns(cells, mapping).mapped_keys
        return
    header_index, columns = found
    result.has_header = True
    result.mapped_keys = columns.mapped_keys
    header_number, header_cells = sheet.rows[header_index]
    for name, first, other in columns.duplicates:
        result.problems.append(
            Problem(
                sheet.location(display, header_number),
                _PROBLEM_FIELD.get(name, name),
                "problem.duplicate_column",
                {
                    "column": clean_text(cell_text(header_cells[first])),
                    "other": clean_text(cell_text(header_cells[other])),
                },
            )
        )
    frame = _Frame(
        sheet.location(display),
        parse_item_type(sheet.name) if sheet.name else None,
        dict(columns.index),
        max(columns.index.values()) + 1,
        norm_header(header_cells[columns.index["stem"]]),
    )
    rows = sheet.rows
    first, end = header_index + 1, len(rows)
    # A large sheet's last rows are read by a worker process while this one reads the first.
    large = end - first >= PARALLEL_ROWS and workers.cores() >= 2
    worker = (workers_from.take() or _start_worker()) if large else None
    half = end if worker is None else end - int((end - first) * WORKER_ROW_SHARE)
    theirs = _WorkerRows(worker, frame, rows[half:]) if worker is not None else None
    if release:
        rows[half:] = [_RELEASED] * (end - half)
    try:
        for read in range(first, half):
            number, cells = rows[read]
            if release:  # the row's cells are not needed again: a large file is not held twice
                rows[read] = _RELEASED
            if read % PROGRESS_EVERY == 0:
                done = read + (0 if theirs is None else theirs.collect(wait=False))
                advance(done - result.rows_read)
                result.rows_read = done
            _read_row(frame, number, cells, result.records, result.problems)
        if theirs is not None:
            counted = theirs.rows_read
            theirs.collect(wait=True, advance=advance)
            result.rows_read += theirs.rows_read - counted
            result.records.extend(theirs.records)
            result.problems.extend(theirs.problems)
    finally:
        if worker is not None:
            worker.close()
    result.problems.extend(check_duplicate_numbers(result.records))


@dataclass(frozen=True)
class _Frame:
    """What reading a sheet's data rows needs besides the rows: where they are, the sheet's
    item type (a sheet named 判断题), the header's columns and their width, the stem header's
    key."""

    where: Location
    """The sheet's location (a Word table's names the table); each row's adds its number."""
    sheet_type: ItemType | None
    index: dict[str, int]
    width: int
    stem_header: str


def _read_row(
    frame: _Frame,
    number: int,
    cells: Sequence[Cell],
    records: list[ItemRecord],
    problems: list[Problem],
) -> None:
    """One data row: its record into `records` or its problems into `problems`."""
    row = pad(cells, frame.width)
    if is_header(row[frame.index["stem"]], frame.stem_header):
        return  # the header repeated (tables pasted page by page)
    values = {
        name: (v if type(v := row[i]) is str else cell_text(v)).strip()
        for name, i in frame.index.items()
    }
    if not any(v for name, v in values.items() if name != "number"):
        return
    location = frame.where.at_row(number)
    record, found = build_item(_raw_item(values, location, frame.sheet_type))
    problems.extend(found)
    if record is not None:
        records.append(record)


def _read_part(frame: _Frame, rows: Sequence[Row]) -> tuple[list[ItemRecord], list[Problem]]:
    """The records and problems of `rows` (a part of a sheet)."""
    records: list[ItemRecord] = []
    problems: list[Problem] = []
    for number, cells in rows:
        _read_row(frame, number, cells, records, problems)
    return records, problems


def read_part(frame: _Frame, rows: Sequence[Row]) -> tuple[_Packed, list[Problem]]:
    """In a worker: the records (`_packed`) and problems of `rows`, its part of a sheet."""
    records, problems = _read_part(frame, rows)
    return _packed(records), problems


_Packed = tuple[list[int | None], list[list[Any]]]
_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(ItemRecord))
_LOCATION = _RECORD_FIELDS.index("location")
_PACKED_FIELDS = tuple(
    map(attrgetter, _RECORD_FIELDS[:_LOCATION] + _RECORD_FIELDS[_LOCATION + 1 :])
)
"""How `_packed` reads each field but the location, in `ItemRecord`'s order."""


def _packed(records: Sequence[ItemRecord]) -> _Packed:
    """`records` as a worker sends them back: each one's row, then the values of each other
    field, a list a field. A record's location is its sheet's at its row (`_read_row`), so
    the row stands for it. Pickled so, 50,000 records of a CSV came back in 7.9 us each
    (unpickled and built again, `_unpacked`) against 13.3 us as objects (each with its own
    location and its state as a dictionary), and took 10 MB against 13 MB."""
    rows = [record.location.row for record in records]
    return rows, [list(map(field, records)) for field in _PACKED_FIELDS]


def _unpacked(packed: _Packed, where: Location) -> list[ItemRecord]:
    """The records `_packed` packed, of a sheet at `where`."""
    rows, columns = packed
    locations = [where.at_row(row) for row in rows]  # type: ignore[arg-type]
    return list(map(ItemRecord, *columns[:_LOCATION], locations, *columns[_LOCATION:]))


_READ_PART = f"{__name__}:read_part"
PARALLEL_ROWS = 10_000
"""Fewest data rows in a sheet for which a worker process reads its last rows (a worker
costs about a third of a second to start, on the other core)."""
WORKER_ROW_SHARE = 0.52
"""The share of a large sheet's rows the worker reads. Its rows cost this process only the
sending and the rebuilding of their records (`_unpacked`); at 0.44 this process never
waited for the worker, which had seconds to spare: reading the 1M CSV in process took
24.0-25.3 s at 0.52 against 26.1-26.9 s at 0.44 (never waiting), and 26.0-26.2 s at 0.6
(waiting 3.7-4.0 s); the 55,000-item workbook 2.38-2.42 s against 2.44-2.54 s, waiting
0.03-0.05 s (2026-12-05, alternating; `/tmp/exp/readshare2.py`, not committed)."""


def _start_worker() -> Worker | None:
    return workers.start_worker(warm=_WARM)


def loaded() -> None:
    """What a row worker runs first: nothing; naming it imports this module (and what reading
    rows needs) in the worker before the rows arrive."""


_WARM = f"{__name__}:loaded"

WORKER_PARTS = 8
"""Requests the worker's rows are sent in: each part's rows count as read when it is back,
so a progress display moves with the worker's reading too."""


class _WorkerRows:
    """The rows a worker reads (sent in `WORKER_PARTS` requests), and what came back: its
    records and problems in row order; a part the worker failed is read here."""

    def __init__(self, worker: Worker, frame: _Frame, rows: Sequence[Row]) -> None:
        size = -(-len(rows) // WORKER_PARTS)
        self._worker = worker
        self._frame = frame
        self._parts: list[Sequence[Row]] = [
            rows[start : start + size] for start in range(0, len(rows), size)
        ]  # each kept until its result is in: read here if the worker fails it
        self._pending = [worker.submit(_READ_PART, frame, part) for part in self._parts]
        self._next = 0
        self.rows_read = 0
        self.records: list[ItemRecord] = []
        self.problems: list[Problem] = []

    def collect(self, *, wait: bool, advance: Callable[[int], None] | None = None) -> int:
        """Take the parts that are back (with `wait`, all of them, calling `advance` with
        each one's rows); returns the rows read by the worker so far."""
        while self._next < len(self._parts):
            if not wait and not self._worker.ready(self._pending[self._next]):
                break
            part = self._parts[self._next]
            try:
                packed, problems = self._worker.result(self._pending[self._next])
                records = _unpacked(packed, self._frame.where)
            except WorkerFailed as error:
                _log.warning("row worker failed, reading its rows here: %s", error)
                records, problems = _read_part(self._frame, part)
            self.records.extend(records)
            self.problems.extend(problems)
            self._parts[self._next] = ()
            self._next += 1
            self.rows_read += len(part)
            if advance is not None:
                advance(len(part))
        return self.rows_read


def is_item_header(cells: Sequence[Cell], fields: dict[str, str]) -> bool:
    """Whether a row names at least the required columns (`fields` from `check_mapping`)."""
    return _columns(cells, fields).is_header


def column_of(cells: Sequence[Cell], fields: dict[str, str], name: str) -> int | None:
    """The 0-based column a header row gives to field `name` (a problem's field), or None."""
    index = _columns(cells, fields).index
    if name == "knowledge_point":
        return index.get("knowledge_point", index.get("knowledge_code"))
    return index.get(name)


def read_sheet(
    sheet: Sheet, display: str, fields: dict[str, str]
) -> tuple[list[ItemRecord], list[Problem], set[str]]:
    """Items of one sheet-like table (a Word table too): records, problems, --map keys seen.
    A table without a header row gives nothing."""
    result = _read_sheet(sheet, display, fields, lambda _: None)
    return result.records, result.problems, result.mapped_keys


def check_mapping(
    mapping: dict[str, str] | None, where: Location
) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """(header key → field, header key → column as given, problems for unknown fields)."""
    return _check_mapping(mapping, where)


def _check_mapping(
    mapping: dict[str, str] | None, where: Location
) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """(header key → field, header key → column as given, problems for unknown fields)."""
    fields: dict[str, str] = {}
    given: dict[str, str] = {}
    problems = []
    for column, name in (mapping or {}).items():
        key = norm_header(column)
        if name not in MAP_FIELDS:
            problems.append(
                Problem(
                    where,
                    "header",
                    "problem.unknown_map_field",
                    {"name": name, "fields": ", ".join(MAP_FIELDS)},
                )
            )
            continue
        if not key:
            problems.append(
                Problem(where, "header", "problem.unknown_map_column", {"column": column})
            )
            continue
        fields[key] = name
        given[key] = column
    return fields, given, problems


def read_items_table(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    display_name: str | None = None,
    progress: RowProgress | None = None,
) -> Parsed[ItemRecord]:
    """Read every item of an .xlsx/.xlsm/.xls/.et/.ods/.csv file; never raises on a bad file.
    `progress(rows read, rows in all)` is called every `PROGRESS_EVERY` rows and at each
    sheet's end.

    Every sheet with a recognisable header is read; sheets without one (notes, lists for
    drop-downs) are skipped, and only a file where no sheet has a header is a problem.
    Locations carry the sheet name and the row number Excel shows (CSV: the record number,
    header line included).
    """
    path = Path(path)
    with workers.Spare(_start_worker if workers.large_file(path) else None) as row_workers:
        return _read_table(
            path, display_name_of(path, display_name), mapping, progress, row_workers
        )


def _read_table(
    path: Path,
    display: str,
    mapping: dict[str, str] | None,
    progress: RowProgress | None,
    row_workers: workers.Spare,
) -> Parsed[ItemRecord]:
    """`read_items_table`, with `row_workers` for its large sheets."""
    where = Location(file=display)
    fields, given, problems = _check_mapping(mapping, where)
    sheets, read_problems = read_sheets(
        path, display, lambda cells: _columns(cells, fields).is_header
    )
    parsed: Parsed[ItemRecord] = Parsed(problems=ProblemList(problems + read_problems))
    if read_problems:
        return parsed
    total = sum(len(sheet.rows) for sheet in sheets)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    results = [
        _read_sheet(sheet, display, fields, advance, release=True, workers_from=row_workers)
        for sheet in sheets
    ]
    del sheets  # emptied of their data rows as they were read
    with_header = [r for r in results if r.has_header]
    seen_keys = set().union(*(r.mapped_keys for r in (with_header or results)))
    for key, column in given.items():
        if key not in seen_keys:
            parsed.problems.append(
                Problem(where, "header", "problem.unknown_map_column", {"column": column})
            )
    if not with_header:
        parsed.problems.append(
            Problem(where, "header", "problem.header_not_found", {"required": REQUIRED_LABEL})
        )
        return parsed
    for result in with_header:
        parsed.records.extend(result.records)
        parsed.problems.extend(result.problems)
    if not parsed.records and not parsed.problems:
        parsed.problems.append(Problem(where, "file", "problem.no_items"))
    return parsed
