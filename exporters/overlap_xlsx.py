"""The overlap report as a workbook a Chinese expert reviewer works from.

The JSON report (`qbank overlap check --out`) is what a regulator re-derives; this workbook is
the same report made readable: a summary naming the rules, the tokenizer and the figures, and
the flagged items with their text side by side, so the reviewer decides which item of each
duplicate cluster to keep without opening the bank. Labels come from the message catalogue
(Simplified Chinese, or English on request); item text is written as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qbank.i18n import LANGUAGES, language
from qbank.messages import CATALOGUE
from qbank.overlap.document import (
    ExactMethod,
    FileReference,
    ItemId,
    LshMethod,
    Method,
    Number,
    OverlapReport,
    ReportPair,
    Snapshot,
)
from qbank.overlap.shown import ShownItem

__all__ = ["ShownItem", "write_overlap_xlsx"]

Value = str | float | int | None

MAX_CELL_CHARS = 32767  # Excel refuses longer cell text
PERCENT_RATE = "0.00%"
PERCENT_SIMILARITY = "0.0%"

# Which policy value caps the rate of each report kind (its `source` is the clause shown).
CAP_KEYS = {
    "theory": "max_repetition",
    "practical": "max_practical_pair_share",
    "practical-levels": "max_cross_level_practical_share",
    "reference": "max_reference_share",
}
TASK_KINDS = ("practical", "practical-levels")

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BAND_FILL = PatternFill("solid", fgColor="F2F2F2")
_FAIL_FILL = PatternFill("solid", fgColor="FF9999")
_PASS_FILL = PatternFill("solid", fgColor="C6EFCE")
_TOP = Alignment(wrap_text=True, vertical="top")


class _Labels:
    """Catalogue lookup in a fixed language, without touching the process-wide choice."""

    def __init__(self, lang: str) -> None:
        self.index = 1 if lang == "en" else 0

    def __call__(self, key: str, /, **params: Any) -> str:
        template = CATALOGUE[key][self.index]
        return template.format(**params) if params else template

    def side(self, side: str, field: str) -> str:
        return self("overlap_xlsx.col.of", side=side, field=field)


@dataclass(frozen=True)
class _Column:
    header: str
    width: float
    number_format: str | None = None


def _text(value: Value) -> Value:
    if isinstance(value, str):
        return str(ILLEGAL_CHARACTERS_RE.sub("", value))[:MAX_CELL_CHARS]
    return value


def _number(value: Number) -> Number:
    """A whole number as an int, so the cell shows `40`, not `40.0`."""
    return int(value) if float(value).is_integer() else value


def _put(sheet: Worksheet, row: int, column: int, value: Value) -> Any:
    cell = sheet.cell(row=row, column=column, value=_text(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    return cell


def _table(
    sheet: Worksheet,
    columns: Sequence[_Column],
    rows: Sequence[Sequence[Value]],
    *,
    fills: Sequence[PatternFill | None] | None = None,
    first_row: int = 1,
) -> None:
    """A header row (frozen, filterable) and wrapped, bordered rows beneath it."""
    for c, column in enumerate(columns, start=1):
        cell = _put(sheet, first_row, c, column.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(c)].width = column.width
    for r, values in enumerate(rows, start=first_row + 1):
        fill = fills[r - first_row - 1] if fills else None
        for c, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = _put(sheet, r, c, value)
            cell.alignment = _TOP
            cell.border = _BORDER
            if fill is not None:
                cell.fill = fill
            if column.number_format and isinstance(value, int | float):
                cell.number_format = column.number_format
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)
    if rows:
        last = f"{get_column_letter(len(columns))}{first_row + len(rows)}"
        sheet.auto_filter.ref = f"A{first_row}:{last}"


def _options(item: ShownItem | None) -> str:
    if item is None:
        return ""
    return "\n".join(f"{letter}．{text}" for letter, text in item.options.items())


def _id_key(value: int | str) -> tuple[int, int, str]:
    """Ids in their natural order: numbers by value before text."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, str(value))


def _completeness(item: ShownItem | None) -> int:
    """How much of a record is filled in: the fuller record of a cluster is the one to keep."""
    if item is None:
        return -1
    return sum(
        (
            bool(item.stem.strip()),
            bool(item.answer),
            bool(item.options) or item.type in ("judgement", "task"),
            bool(item.knowledge_point),
            bool(item.explanation and item.explanation.strip()),
            item.score is not None,
        )
    )


def _keeper(members: Sequence[int | str], shown: Mapping[int | str, ShownItem]) -> int | str:
    """The member with the most complete record; ties go to the lowest id."""
    return min(members, key=lambda m: (-_completeness(_shown(shown, m)), _id_key(m)))


def _shown(shown: Mapping[int | str, ShownItem], key: int | str) -> ShownItem | None:
    """The item behind an id; a report read back from JSON may carry ids as the other type."""
    if key in shown:
        return shown[key]
    if isinstance(key, str) and key.isdigit():
        return shown.get(int(key))
    return shown.get(str(key))


def _pair_index(pairs: Sequence[ReportPair]) -> dict[tuple[ItemId, ItemId], ReportPair]:
    index: dict[tuple[ItemId, ItemId], ReportPair] = {}
    for pair in pairs:
        index[(pair.a, pair.b)] = pair
        index[(pair.b, pair.a)] = pair
    return index


def _clause(report: OverlapReport, key: str) -> str | None:
    """The clause the embedded policy gives for value `key`."""
    entry = report.policy_entry(key)
    return entry.source if entry is not None else None


def _snapshot(snapshot: Snapshot, t: _Labels) -> str:
    return t("overlap_xlsx.snapshot_value", count=snapshot.count, sha256=snapshot.sha256)


def _summary(sheet: Worksheet, report: OverlapReport, t: _Labels) -> None:
    scope, kind = report.scope, report.kind
    policy = report.policy.policy
    tokenizer, minhash = report.tokenizer, report.minhash
    verdict = report.verdict
    kind_key = f"overlap_xlsx.kind.{kind}"
    rule_key = f"overlap_xlsx.rule.{kind}"

    rows: list[tuple[str, Value, Value, str | None]] = [
        (t("overlap_xlsx.scope"), t(kind_key) if kind_key in CATALOGUE else kind, None, None),
        (t("overlap_xlsx.occupation"), scope.occupation, None, None),
        (t("overlap_xlsx.level"), scope.level, None, None),
    ]
    reference = scope.reference
    if reference is not None:
        if isinstance(reference, FileReference):
            shown_ref = t("overlap_xlsx.reference_file", file=reference.file)
        else:
            shown_ref = t(
                "overlap_xlsx.reference_bank",
                occupation=reference.occupation,
                level=reference.level,
            )
        rows.append((t("overlap_xlsx.reference"), shown_ref, None, None))
    if scope.other_levels is not None:
        levels = "、".join(str(level) for level in scope.other_levels)
        rows.append((t("overlap_xlsx.other_levels"), levels or "—", None, None))
    rows += [
        (t("overlap_xlsx.policy"), f"{policy.name}：{policy.title}", None, None),
        (t("overlap_xlsx.policy_id"), report.policy.id, None, None),
        (
            t("overlap_xlsx.cap"),
            _number(report.cap),
            _clause(report, CAP_KEYS[kind]),
            PERCENT_RATE,
        ),
        (
            t("overlap_xlsx.threshold"),
            _number(report.threshold),
            _clause(report, "similarity_threshold"),
            None,
        ),
        (t("overlap_xlsx.tokenizer"), tokenizer.name, None, None),
        (t("overlap_xlsx.jieba"), tokenizer.jieba_version, None, None),
        (t("overlap_xlsx.dictionary"), tokenizer.dictionary_sha256, None, None),
        (t("overlap_xlsx.stopwords"), tokenizer.stopwords_sha256, None, None),
        (
            t("overlap_xlsx.minhash"),
            t(
                "overlap_xlsx.minhash_value",
                num_perm=minhash.num_perm,
                seed=minhash.seed,
                scheme=minhash.scheme,
            ),
            minhash.compatible_with,
            None,
        ),
        (t("overlap_xlsx.method"), _method(report.method, t), None, None),
        (t("overlap_xlsx.snapshot"), _snapshot(report.snapshot, t), None, None),
    ]
    if report.reference_snapshot is not None:
        rows.append(
            (
                t("overlap_xlsx.reference_snapshot"),
                _snapshot(report.reference_snapshot, t),
                None,
                None,
            )
        )
    rows.append((t("overlap_xlsx.pair_count"), len(report.pairs), None, None))
    if report.clusters is not None:
        rows.append((t("overlap_xlsx.cluster_count"), len(report.clusters), None, None))
    if report.adjudicated is not None:
        counted = bool(report.adjudicated_counted)
        rows.append(
            (
                t("overlap_xlsx.adjudicated_count"),
                len(report.adjudicated),
                t("overlap_xlsx.counted" if counted else "overlap_xlsx.not_counted"),
                None,
            )
        )
    rows += [
        (t("overlap_xlsx.rule"), t(rule_key) if rule_key in CATALOGUE else None, None, None),
        (t("overlap_xlsx.numerator"), _number(report.numerator), None, None),
        (t("overlap_xlsx.denominator"), _number(report.denominator), None, None),
        (t("overlap_xlsx.rate"), _number(report.rate), None, PERCENT_RATE),
    ]
    verdict_row = len(rows)
    rows += [
        (
            t("overlap_xlsx.verdict"),
            t("overlap_xlsx.pass" if verdict == "pass" else "overlap_xlsx.fail"),
            None,
            None,
        ),
        (t("overlap_xlsx.generated_at"), report.generated_at, None, None),
        (t("overlap_xlsx.generated_by"), report.generated_by, None, None),
        (t("overlap_xlsx.verify"), t("overlap_xlsx.verify_text"), None, None),
    ]

    title = _put(sheet, 1, 1, t("overlap_xlsx.title"))
    title.font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    columns = [
        _Column(t("overlap_xlsx.col.entry"), 24),
        _Column(t("overlap_xlsx.col.value"), 72),
        _Column(t("overlap_xlsx.col.source"), 60),
    ]
    _table(sheet, columns, [r[:3] for r in rows], first_row=2)
    for offset, (_label, _value, _source, number_format) in enumerate(rows, start=3):
        sheet.cell(row=offset, column=1).font = Font(bold=True)
        if number_format:
            sheet.cell(row=offset, column=2).number_format = number_format
        sheet.cell(row=offset, column=2).alignment = Alignment(
            wrap_text=True, vertical="top", horizontal="left"
        )
    verdict_cell = sheet.cell(row=verdict_row + 3, column=2)
    verdict_cell.font = Font(bold=True)
    verdict_cell.fill = _PASS_FILL if verdict == "pass" else _FAIL_FILL


def _method(method: Method, t: _Labels) -> str:
    if isinstance(method, LshMethod):
        how = t(
            "overlap_xlsx.method_lsh",
            bands=method.bands,
            rows=method.rows,
            candidates=method.candidates,
        )
    else:
        assert isinstance(method, ExactMethod)
        how = t("overlap_xlsx.method_exact")
    return f"{method.name}：{how}"


def _type_name(item: ShownItem | None, t: _Labels) -> str:
    if item is None:
        return ""
    key = f"overlap_xlsx.type.{item.type}"
    return t(key) if key in CATALOGUE else item.type


def _stem(item: ShownItem | None, t: _Labels) -> str:
    return item.stem if item is not None else t("overlap_xlsx.missing")


def _clusters(
    sheet: Worksheet, report: OverlapReport, shown: Mapping[int | str, ShownItem], t: _Labels
) -> None:
    """One block per cluster: every member with its text and what to do with it."""
    columns = [
        _Column(t("overlap_xlsx.col.cluster"), 8),
        _Column(t("overlap_xlsx.col.id"), 12),
        _Column(t("overlap_xlsx.col.type"), 10),
        _Column(t("overlap_xlsx.col.stem"), 50),
        _Column(t("overlap_xlsx.col.options"), 36),
        _Column(t("overlap_xlsx.col.answer"), 8),
        _Column(t("overlap_xlsx.col.knowledge_point"), 14),
        _Column(t("overlap_xlsx.col.explanation"), 30),
        _Column(t("overlap_xlsx.col.similarity_first"), 14, PERCENT_SIMILARITY),
        _Column(t("overlap_xlsx.col.advice"), 16),
    ]
    pairs = _pair_index(report.pairs)
    rows: list[list[Value]] = []
    fills: list[PatternFill | None] = []
    advice_rows: list[tuple[int, bool]] = []
    for number, members in enumerate(report.clusters or (), start=1):
        keep = _keeper(members, shown)
        first = members[0]
        for position, member in enumerate(members):
            item = _shown(shown, member)
            similarity: Value = None
            if position:
                similarity = _similarity_to(first, member, members, pairs, t)
            rows.append(
                [
                    number,
                    member,
                    _type_name(item, t),
                    _stem(item, t),
                    _options(item),
                    item.answer if item else None,
                    item.knowledge_point if item else None,
                    item.explanation if item else None,
                    similarity,
                    t("overlap_xlsx.keep" if member == keep else "overlap_xlsx.revise"),
                ]
            )
            fills.append(_BAND_FILL if number % 2 == 0 else None)
            advice_rows.append((len(rows) + 1, member == keep))
    _table(sheet, columns, rows, fills=fills)
    advice = len(columns)
    for row, kept in advice_rows:
        sheet.cell(row=row, column=advice).font = Font(
            bold=True, color="006100" if kept else "9C0006"
        )


def _similarity_to(
    first: int | str,
    member: int | str,
    members: Sequence[int | str],
    pairs: dict[tuple[ItemId, ItemId], ReportPair],
    t: _Labels,
) -> Value:
    """Similarity to the cluster's first item; a member joined only through another one says
    which member it is close to instead (clusters are connected components)."""
    direct = pairs.get((first, member))
    if direct is not None:
        return float(direct.similarity)
    links = [(pairs[(other, member)], other) for other in members if (other, member) in pairs]
    if not links:
        return None
    best, other = max(links, key=lambda link: link[0].similarity)
    return t("overlap_xlsx.via", id=other, similarity=f"{float(best.similarity):.1%}")


def _item_pairs(
    sheet: Worksheet,
    pairs: Sequence[ReportPair],
    shown: Mapping[int | str, ShownItem],
    t: _Labels,
    sides: tuple[str, str],
) -> None:
    """Item pairs with the two records side by side (theory and reference reports)."""
    a, b = sides
    columns = [
        _Column(t.side(a, t("overlap_xlsx.col.id")), 12),
        _Column(t.side(b, t("overlap_xlsx.col.id")), 12),
        _Column(t("overlap_xlsx.col.similarity"), 10, PERCENT_SIMILARITY),
        _Column(t("overlap_xlsx.col.shared"), 10),
        _Column(t("overlap_xlsx.col.union"), 10),
        _Column(t.side(a, t("overlap_xlsx.col.type")), 10),
        _Column(t.side(b, t("overlap_xlsx.col.type")), 10),
        _Column(t.side(a, t("overlap_xlsx.col.stem")), 45),
        _Column(t.side(b, t("overlap_xlsx.col.stem")), 45),
        _Column(t.side(a, t("overlap_xlsx.col.options")), 30),
        _Column(t.side(b, t("overlap_xlsx.col.options")), 30),
        _Column(t.side(a, t("overlap_xlsx.col.answer")), 8),
        _Column(t.side(b, t("overlap_xlsx.col.answer")), 8),
    ]
    rows: list[list[Value]] = []
    for pair in pairs:
        x, y = _shown(shown, pair.a), _shown(shown, pair.b)
        rows.append(
            [
                pair.a,
                pair.b,
                _number(pair.similarity),
                pair.shared,
                pair.union,
                _type_name(x, t),
                _type_name(y, t),
                _stem(x, t),
                _stem(y, t),
                _options(x),
                _options(y),
                x.answer if x else None,
                y.answer if y else None,
            ]
        )
    _table(sheet, columns, rows)


def _task_title(item: ShownItem | None) -> str | None:
    if item is None:
        return None
    return item.stem.split("\n", 1)[0]


def _task_pairs(
    sheet: Worksheet,
    report: OverlapReport,
    shown: Mapping[int | str, ShownItem],
    t: _Labels,
    sides: tuple[str, str],
) -> None:
    """Task pairs with their sets and titles, and the full task text side by side."""
    sets = {task.id: task.set_code for task in report.tasks or ()}

    def set_of(task_id: ItemId) -> Value:
        return sets.get(str(task_id)) or str(task_id).rsplit("#", 1)[0]

    a, b = sides
    columns = [
        _Column(t.side(a, t("overlap_xlsx.col.set")), 10),
        _Column(t.side(a, t("overlap_xlsx.col.task")), 12),
        _Column(t.side(a, t("overlap_xlsx.col.title")), 30),
        _Column(t.side(b, t("overlap_xlsx.col.set")), 10),
        _Column(t.side(b, t("overlap_xlsx.col.task")), 12),
        _Column(t.side(b, t("overlap_xlsx.col.title")), 30),
        _Column(t("overlap_xlsx.col.similarity"), 10, PERCENT_SIMILARITY),
        _Column(t("overlap_xlsx.col.shared"), 10),
        _Column(t("overlap_xlsx.col.union"), 10),
        _Column(t.side(a, t("overlap_xlsx.col.content")), 45),
        _Column(t.side(b, t("overlap_xlsx.col.content")), 45),
    ]
    rows: list[list[Value]] = []
    for pair in report.pairs:
        x, y = _shown(shown, pair.a), _shown(shown, pair.b)
        rows.append(
            [
                set_of(pair.a),
                pair.a,
                _task_title(x),
                set_of(pair.b),
                pair.b,
                _task_title(y),
                _number(pair.similarity),
                pair.shared,
                pair.union,
                _stem(x, t),
                _stem(y, t),
            ]
        )
    _table(sheet, columns, rows)


def _set_pairs(sheet: Worksheet, report: OverlapReport, t: _Labels) -> None:
    columns = [
        _Column(t("overlap_xlsx.col.set_a"), 10),
        _Column(t("overlap_xlsx.col.set_b"), 10),
        _Column(t("overlap_xlsx.col.share_a"), 16, PERCENT_RATE),
        _Column(t("overlap_xlsx.col.share_b"), 16, PERCENT_RATE),
        _Column(t("overlap_xlsx.col.numerator_a"), 14),
        _Column(t("overlap_xlsx.col.denominator_a"), 12),
        _Column(t("overlap_xlsx.col.numerator_b"), 14),
        _Column(t("overlap_xlsx.col.denominator_b"), 12),
    ]
    rows: list[list[Value]] = []
    over: list[tuple[int, int]] = []
    for r, pair in enumerate(report.set_pairs or (), start=2):
        a, b = pair.side_a, pair.side_b
        rows.append(
            [
                pair.a,
                pair.b,
                _number(a.share),
                _number(b.share),
                _number(a.numerator),
                _number(a.denominator),
                _number(b.numerator),
                _number(b.denominator),
            ]
        )
        for column, side in ((3, a), (4, b)):
            if side.share > report.cap:
                over.append((r, column))
    _table(sheet, columns, rows)
    for r, column in over:
        sheet.cell(row=r, column=column).fill = _FAIL_FILL


def _adjudicated(
    sheet: Worksheet, report: OverlapReport, shown: Mapping[int | str, ShownItem], t: _Labels
) -> None:
    counted = bool(report.adjudicated_counted)
    note = _put(
        sheet,
        1,
        1,
        t("overlap_xlsx.adjudicated_counted" if counted else "overlap_xlsx.adjudicated_excluded"),
    )
    note.font = Font(bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    columns = [
        _Column(t.side("A", t("overlap_xlsx.col.id")), 12),
        _Column(t.side("B", t("overlap_xlsx.col.id")), 12),
        _Column(t("overlap_xlsx.col.similarity"), 10, PERCENT_SIMILARITY),
        _Column(t("overlap_xlsx.col.reviewer"), 12),
        _Column(t("overlap_xlsx.col.reason"), 36),
        _Column(t.side("A", t("overlap_xlsx.col.stem")), 45),
        _Column(t.side("B", t("overlap_xlsx.col.stem")), 45),
        _Column(t("overlap_xlsx.col.shared_union"), 12),
    ]
    rows: list[list[Value]] = [
        [
            mark.pair.a,
            mark.pair.b,
            _number(mark.pair.similarity),
            mark.reviewer,
            mark.reason,
            _stem(_shown(shown, mark.pair.a), t),
            _stem(_shown(shown, mark.pair.b), t),
            f"{mark.pair.shared}/{mark.pair.union}",
        ]
        for mark in report.adjudicated or ()
    ]
    _table(sheet, columns, rows, first_row=2)


def write_overlap_xlsx(
    report: OverlapReport,
    shown: Mapping[int | str, ShownItem],
    path: str | Path,
    *,
    lang: str | None = None,
) -> None:
    """Write the reviewer's workbook for `report` (as built by `qbank.overlap.report`, or read
    by `OverlapReport.from_json`, which refuses a malformed one before anything is written).

    `shown` holds the text of the items or tasks the report names (`shown_items`); an id
    missing there is listed with a note instead of its text. `lang` ("zh" or "en") overrides
    the current language for the labels. Side effects: creates or overwrites `path`.
    """
    chosen = lang if lang is not None else language()
    if chosen not in LANGUAGES:
        raise ValueError(f"unknown language {chosen!r}; expected one of {LANGUAGES}")
    t = _Labels(chosen)
    kind = report.kind
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = t("overlap_xlsx.sheet.summary")
    _summary(summary, report, t)

    def sheet(key: str) -> Worksheet:
        return workbook.create_sheet(t(key))

    pairs = report.pairs
    if kind == "practical":
        _set_pairs(sheet("overlap_xlsx.sheet.set_pairs"), report, t)
        _task_pairs(sheet("overlap_xlsx.sheet.pairs"), report, shown, t, ("A", "B"))
    elif kind == "practical-levels":
        sides = (t("overlap_xlsx.side.bank"), t("overlap_xlsx.side.other_level"))
        _task_pairs(sheet("overlap_xlsx.sheet.pairs"), report, shown, t, sides)
    elif kind == "reference":
        sides = (t("overlap_xlsx.side.bank"), t("overlap_xlsx.side.reference"))
        _item_pairs(sheet("overlap_xlsx.sheet.pairs"), pairs, shown, t, sides)
    else:
        _clusters(sheet("overlap_xlsx.sheet.clusters"), report, shown, t)
        _item_pairs(sheet("overlap_xlsx.sheet.pairs"), pairs, shown, t, ("A", "B"))
    if report.adjudicated:
        _adjudicated(sheet("overlap_xlsx.sheet.adjudicated"), report, shown, t)
    workbook.save(path)
