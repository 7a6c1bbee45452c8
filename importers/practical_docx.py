"""A practical paper set (操作技能考核试卷) from a Word document, as skill-test centres write it.

One set per document, in the national order: a title with the set code (`试卷编号：DG4-SC-01`
or `第1套`), `考场准备通知单` and `考生准备通知单` each with a table (序号 | 名称 | 规格型号 |
数量 | 备注, optionally grouped by 工具/材料/设备 rows, a 类别 column or a label line before the
table), the tasks (`试题1：…`, `考核要求：` and its lines, `配分：40分`, `考核时间：60分钟`,
or both on one line such as `（配分40分，考试时间60min）`), and a `评分记录表` per task
(评分要素 | 配分 | 评分标准 | 扣分 | 得分). Rubric tables may follow each task or come together
after all tasks, each introduced by `试题N` or taken in task order. Veto rows (否决项) are
marked in a 否决 column, in the 序号 or 配分 cell, by an element starting with 否决, or by a
merged row of text. 考评员 signature lines and notes are skipped.

Words are matched after NFKC and with all spaces removed, so `考 场 准 备 通 知 单`,
full-width `：` and line breaks inside header cells all read the same. Locations are the
body paragraph number, or table number and row, as Word shows them (1-based).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from importers import limits as reading_limits
from importers.practical import (
    clean_lines,
    parse_minutes,
    rubric_total_problem,
    set_total_problem,
    task_number,
)
from qbank.records import (
    Location,
    Parsed,
    PracticalSetRecord,
    PracticalTask,
    PrepRow,
    Problem,
    ProblemList,
    RubricRow,
)
from qbank.text.normalize import clean_text, parse_judgement, parse_number

_NUM = r"([0-9]+|[一二三四五六七八九十]+)"
_TASK_HEAD = re.compile(
    rf"^(?:试题|考题|题目)\s*{_NUM}\s*[:、.]?\s*(.*)$|^第\s*{_NUM}\s*题\s*[:、.]?\s*(.*)$"
)
_TASK_REF = re.compile(rf"(?:试题|考题|题目)\s*{_NUM}|第\s*{_NUM}\s*题")
_RUBRIC_HEAD = re.compile(r"评分(?:记录|标准|细则)?表$|^评分(?:标准|记录|细则)$")
_PREP_HEAD = re.compile(r"考([场生])准备(?:通知单|清单|单)?$")
_TRAILING_BRACKETS = re.compile(r"\([^()]*\)$")
_TASKS_HEAD = re.compile(r"(?:试题|试卷正文|试题正文)$")
_CODE = re.compile(
    r"(?<!职业)(?<!工种)(?<!准考证)(?:试卷|套题|题卷)?(?:编号|代码|编码|代号)\s*:\s*([0-9A-Za-z\u4e00-\u9fff][^\s()]*)"
)
_SET_NO = re.compile(rf"第\s*{_NUM}\s*套")
_TOTAL_TIME = re.compile(
    r"(?:考试|考核|操作)?总?(?:时间|时长|时限)\s*[:为]?\s*(\d+(?:\.\d+)?\s*(?:分钟|min|分|小时|h))",
    re.IGNORECASE,
)
_AUTHOR = re.compile(r"^(?:命题人|命题专家|编写人|出题人|作者)\s*:\s*(.+)$")
_SCORE = re.compile(r"(?:本题)?(?:配分|分值|满分)\s*[:为]?\s*(\d+(?:\.\d+)?)\s*分?")
_SCORE_BRACKET = re.compile(r"\(\s*(\d+(?:\.\d+)?)\s*分\s*\)")
_TIME = re.compile(
    r"(?:考核|考试|操作|完成)?(?:时间|时限|限时)\s*[:为]?\s*"
    r"(\d+(?:\.\d+)?\s*(?:分钟|minutes|mins|min|分|小时|h))",
    re.IGNORECASE,
)
_TITLE_LINE = re.compile(r"^(?:试题名称|题目名称|试题内容|项目名称)\s*:\s*(.+)$")
_REQUIREMENTS = re.compile(
    r"^(?:考核要求|操作要求|技术要求|考试要求|考核内容及要求|要求)\s*(?::\s*(.*))?$"
)
_MODULE = re.compile(r"^(?:考核模块|鉴定范围|考核范围|模块)(?:代码|编号)?\s*:\s*(\S+)$")
_SIGNATURE = re.compile(r"^(?:考评员|考评组长|考评人|评分人|核分人|统分人|监考|签名|签字|日期)")
_HEAD_SKIP = re.compile(r"^(?:职业|工种|等级|级别|姓名|考生|准考证|单位|注意事项|说明|注:)")
_NOTE = re.compile(r"^(?:注|说明|备注)\s*[:：]|^(?:\d+[、.)]|\(\d+\))")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十\d]+\)|\d+[、.])\s*")
_TOTAL_ROW = ("合计", "总计", "总分", "小计")
_NO_MARK = {"", "无", "-", "—", "/", "否", "×", "x", "X"}

_ELEMENT_WORDS = ("要素", "考核内容", "考核要点", "考核项目", "评分项目", "内容", "项目", "要点")
_CRITERIA_WORDS = ("标准", "评分细则", "评分要求", "扣分说明")


def _flat(text: str) -> str:
    """One-line matching form: NFKC (half-width punctuation), whitespace collapsed."""
    return unicodedata.normalize("NFKC", clean_text(text))


def _key(text: str) -> str:
    """Matching form without any spaces: `考 场 准 备` and `考场准备` are one word."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _column_kind(text: str) -> str | None:
    """What a header cell names, for rubric and preparation tables alike."""
    key = re.sub(r"\(.*?\)", "", _key(text))
    if not key:
        return None
    if key in ("序号", "序", "编号", "No.", "No"):
        return "number"
    if "否决" in key:
        return "veto"
    if any(w in key for w in _CRITERIA_WORDS):
        return "criteria"
    if "扣分" in key:
        return "deduction"
    if "得分" in key:
        return "result"
    if any(w in key for w in ("配分", "分值", "分数")) or key == "分":
        return "score"
    if "名称" in key:
        return "name"
    if "规格" in key or "型号" in key:
        return "spec"
    if "数量" in key:
        return "quantity"
    if "单位" in key:
        return "unit"
    if "备注" in key or "说明" in key:
        return "note"
    if key in ("类别", "类型", "分类", "类"):
        return "category"
    if any(w in key for w in _ELEMENT_WORDS):
        return "element"
    return None


def _header(row: list[str]) -> list[str | None] | None:
    kinds = [_column_kind(cell) for cell in row]
    found = {k for k in kinds if k is not None and k != "number"}
    return kinds if len(found) >= 2 else None


def _is_rubric(kinds: list[str | None]) -> bool:
    return {"element", "score", "criteria"} <= set(kinds)


def _is_prep(kinds: list[str | None]) -> bool:
    return "name" in kinds


def _cells(row: list[str], kinds: list[str | None], kind: str) -> list[str]:
    return [row[i] for i, k in enumerate(kinds) if k == kind and i < len(row)]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _meta(flat: str) -> tuple[float | None, int | None, str]:
    """Score and minutes written in a line (`配分：40分`, `（40分）`, `考试时间60min`), and the
    rest of the line once they are taken out."""
    score: float | None = None
    minutes: int | None = None
    rest = flat
    for pattern in (_SCORE, _SCORE_BRACKET):
        match = pattern.search(rest)
        if match is not None and score is None:
            score = float(match.group(1))
            rest = rest[: match.start()] + " " + rest[match.end() :]
    match = _TIME.search(rest)
    if match is not None:
        try:
            minutes = parse_minutes(match.group(1))
            rest = rest[: match.start()] + " " + rest[match.end() :]
        except ValueError:
            minutes = None
    rest = re.sub(r"\(\s*[,;、\s]*\s*\)", "", rest)
    rest = re.sub(r"^[\s,;、:.。]+|[\s,;、:.。]+$", "", rest)
    rest = re.sub(r"\s+", " ", rest)
    return score, minutes, rest


def _strip_enumeration(text: str) -> str:
    return _ENUM.sub("", text).strip().rstrip(":：").strip()


@dataclass
class _Task:
    number: str
    location: Location
    title: str = ""
    module: str = ""
    score: float | None = None
    minutes: int | None = None
    requirements: list[str] = field(default_factory=list)
    rubric: list[RubricRow] = field(default_factory=list)
    rubric_scores: list[float | None] = field(default_factory=list)
    rubric_location: Location | None = None
    closed: bool = False  # its rubric table came: later paragraphs are not its text


@dataclass
class _LastTable:
    kind: str  # rubric | venue | candidate
    kinds: list[str | None]
    task: _Task | None = None
    category: str = ""


def read_practical_docx(
    path: str | Path, *, display_name: str | None = None
) -> Parsed[PracticalSetRecord]:
    """Read the one practical set of a Word paper; never raises on a bad file."""
    path = Path(path)
    file = display_name or path.name
    limits = reading_limits.current()
    refused = reading_limits.check_docx(path, file, limits)
    if refused is not None:
        return Parsed(problems=[refused])
    try:
        document = docx.Document(str(path))
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        etree.XMLSyntaxError,
    ) as exc:
        return Parsed(
            problems=[
                Problem(Location(file), "file", "problem.unreadable_file", {"reason": str(exc)})
            ]
        )
    reader = _DocxReader(file)
    paragraphs = tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs += 1
            text = block.text
            refused = reading_limits.check_paragraph(text, file, paragraphs, limits)
            if refused is not None:
                return Parsed(problems=[refused])
            reader.paragraph(text, paragraphs)
        elif isinstance(block, Table):
            tables += 1
            reader.table(block, tables)
    return reader.finish()


def _matrix(table: Table) -> list[list[str]] | None:
    """Cell texts row by row, merged cells repeated in every grid column they span."""
    try:
        return [
            [""] * row.grid_cols_before + [cell.text for cell in row.cells] for row in table.rows
        ]
    except (ValueError, IndexError):
        return None


class _DocxReader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = ProblemList()
        self.mode = "head"  # head | venue | candidate | tasks | rubric
        self.title = ""
        self.title_location = Location(file)
        self.code = ""  # from 试卷编号
        self.set_number = ""  # from 第N套
        self.total_minutes: int | None = None
        self.author = ""
        self.prep: dict[str, list[PrepRow]] = {"venue": [], "candidate": []}
        self.label = ""  # a category line before a preparation table
        self.tasks: list[_Task] = []
        self.current: _Task | None = None
        self.ref: str | None = None  # task named before the next rubric table
        self.last_table: _LastTable | None = None

    def problem(self, location: Location, field_name: str, key: str, /, **params: object) -> None:
        self.problems.append(Problem(location, field_name, key, dict(params)))

    def task(self, number: str) -> _Task | None:
        return next((t for t in self.tasks if t.number == number), None)

    # -- paragraphs -------------------------------------------------------------------------

    def paragraph(self, text: str, index: int) -> None:
        flat = _flat(text)
        if not flat:
            return
        self.last_table = None
        key = flat.replace(" ", "")
        location = Location(self.file, paragraph=index)
        writing_task = self.mode == "tasks" and self.current is not None and not self.current.closed
        if _SIGNATURE.match(key) and not writing_task:
            return
        heading = _TRAILING_BRACKETS.sub("", _strip_enumeration(_meta(flat)[2].replace(" ", "")))
        prep = _PREP_HEAD.search(heading)
        if prep is not None and len(heading) <= 40:
            self.mode = "venue" if prep.group(1) == "场" else "candidate"
            self.label = ""
            self.current = None
            return
        if _RUBRIC_HEAD.search(heading) and len(heading) <= 60:
            self.mode = "rubric"
            self.current = None
            ref = _TASK_REF.search(key)
            if ref is not None:
                self._refer(task_number(ref.group(1) or ref.group(2)), flat, location)
            return
        head = _TASK_HEAD.match(flat)
        if head is not None:
            number = task_number(head.group(1) or head.group(3))
            rest = head.group(2) if head.group(1) else head.group(4)
            if self.mode == "rubric" and self.task(number) is not None:
                self._refer(number, flat, location)
            else:
                self._new_task(number, rest or "", location)
            return
        if self.mode == "head":
            self._head_line(flat, key, location)
        elif self.mode in ("venue", "candidate"):
            self._prep_line(flat, key)
        elif self.mode == "tasks" and self.current is not None and not self.current.closed:
            self._task_line(text, flat)
        elif self.mode == "rubric" and self.ref is not None:
            target = self.task(self.ref)
            if target is not None:
                self._apply_meta(target, flat)

    def _head_line(self, flat: str, key: str, location: Location) -> None:
        if self.title and _TASKS_HEAD.search(_strip_enumeration(key)) and len(key) <= 20:
            self.mode = "tasks"
            return
        author = _AUTHOR.match(flat)
        if author is not None:
            self.author = clean_text(author.group(1))
            return
        rest = flat
        code = _CODE.search(rest)
        if code is not None:
            self.code = clean_text(code.group(1))
            rest = rest[: code.start()] + rest[code.end() :]
        set_no = _SET_NO.search(rest)
        if set_no is not None:
            # 第N套 names the set when no 试卷编号 does; inside a title it stays in the title.
            self.set_number = self.set_number or task_number(set_no.group(1))
            if not re.sub(r"[\s()]", "", rest[: set_no.start()] + rest[set_no.end() :]):
                return
        total = _TOTAL_TIME.search(rest)
        if total is not None:
            try:
                self.total_minutes = parse_minutes(total.group(1))
                rest = rest[: total.start()] + rest[total.end() :]
            except ValueError:
                pass
        rest = re.sub(r"\(\s*\)", "", rest).strip(" :,;")
        if not rest or _HEAD_SKIP.match(rest.replace(" ", "")) or _NOTE.match(rest):
            return
        has_paper_word = "试卷" in rest or "考核" in rest
        if not self.title or (
            has_paper_word and not ("试卷" in self.title or "考核" in self.title)
        ):
            self.title = clean_text(rest)
            self.title_location = location

    def _prep_line(self, flat: str, key: str) -> None:
        if _TASKS_HEAD.search(_strip_enumeration(key)) and len(key) <= 20:
            self.mode = "tasks"
            return
        label = _strip_enumeration(flat)
        if label and len(label) <= 8 and not re.search(r"[,.;:。!?]", label):
            self.label = clean_text(label)

    def _task_line(self, text: str, flat: str) -> None:
        task = self.current
        assert task is not None
        title = _TITLE_LINE.match(flat)
        if title is not None and not task.title:
            task.title = clean_text(title.group(1))
            return
        requirements = _REQUIREMENTS.match(flat)
        if requirements is not None:
            first = requirements.group(1)
            if first:
                task.requirements.append(clean_text(first))
            return
        module = _MODULE.match(flat)
        if module is not None:
            task.module = clean_text(module.group(1))
            return
        score, minutes, rest = _meta(flat)
        if (score is not None or minutes is not None) and not rest:
            self._set_meta(task, score, minutes)
            return
        task.requirements.extend(line for line in clean_lines(text).split("\n") if line)

    def _new_task(self, number: str, rest: str, location: Location) -> None:
        score, minutes, title = _meta(rest)
        task = _Task(number=number, location=location, title=clean_text(title))
        self._set_meta(task, score, minutes)
        first = self.task(number)
        if first is not None:
            self.problem(
                location,
                "number",
                "problem.duplicate_number",
                number=number,
                first=first.location.describe(),
            )
        self.tasks.append(task)
        self.current = task
        self.mode = "tasks"
        self.ref = None

    def _refer(self, number: str, flat: str, location: Location) -> None:
        self.ref = number
        target = self.task(number)
        if target is None:
            self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
            return
        self._apply_meta(target, flat)

    def _apply_meta(self, task: _Task, flat: str) -> None:
        score, minutes, _ = _meta(flat)
        self._set_meta(task, score, minutes)

    @staticmethod
    def _set_meta(task: _Task, score: float | None, minutes: int | None) -> None:
        if task.score is None:
            task.score = score
        if task.minutes is None:
            task.minutes = minutes

    # -- tables -----------------------------------------------------------------------------

    def table(self, table: Table, index: int) -> None:
        rows = _matrix(table)
        location = Location(self.file, table=index, row=1)
        if rows is None:
            self.problem(location, "file", "problem.unreadable_file", reason=f"table {index}")
            return
        if not rows:
            return
        last, self.last_table = self.last_table, None
        header_at, kinds = next(
            ((i, k) for i, row in enumerate(rows[:4]) if (k := _header(row)) is not None),
            (None, None),
        )
        if header_at is None or kinds is None:
            if last is not None and len(last.kinds) == max(len(r) for r in rows):
                self._continue(last, rows, index)
            elif self.mode in ("venue", "candidate"):
                self.problem(location, "preparation", "problem.prep_header_not_found")
            elif self.mode == "rubric":
                self.problem(location, "rubric", "problem.rubric_header_not_found")
            return
        if _is_rubric(kinds):
            self._rubric_table(rows, header_at, kinds, index)
        elif _is_prep(kinds) and self.mode in ("venue", "candidate"):
            category = self.label
            self.label = ""
            self.last_table = _LastTable(self.mode, kinds, category=category)
            self._prep_rows(rows, header_at + 1, kinds, index, self.last_table)
        elif self.mode in ("venue", "candidate"):
            self.problem(location, "preparation", "problem.prep_header_not_found")
        elif self.mode == "rubric":
            self.problem(location, "rubric", "problem.rubric_header_not_found")

    def _continue(self, last: _LastTable, rows: list[list[str]], index: int) -> None:
        self.last_table = last
        if last.kind == "rubric" and last.task is not None:
            self._rubric_rows(rows, 0, last.kinds, index, last)
        elif last.kind in ("venue", "candidate"):
            self._prep_rows(rows, 0, last.kinds, index, last)

    def _rubric_table(
        self, rows: list[list[str]], header_at: int, kinds: list[str | None], index: int
    ) -> None:
        location = Location(self.file, table=index, row=header_at + 1)
        number = self.ref
        for row in rows[:header_at]:
            ref = _TASK_REF.search(_key(" ".join(row)))
            if ref is not None:
                number = task_number(ref.group(1) or ref.group(2))
                break
        task: _Task | None
        if number is not None:
            task = self.task(number)
            if task is None:
                if number != self.ref:  # a paragraph naming it was reported already
                    self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
                self.ref = None
                return
        elif (
            self.mode == "tasks"
            and self.current is not None
            and self.current.rubric_location is None
        ):
            task = self.current
        else:
            task = next((t for t in self.tasks if t.rubric_location is None), None)
            if task is None:
                self.problem(location, "rubric", "problem.rubric_unassigned")
                return
        for row in rows[:header_at]:
            self._apply_meta(task, _flat(" ".join(dict.fromkeys(row))))
        self.ref = None
        if self.current is task:
            task.closed = True
        if not self._claim(task, location):
            return
        self.last_table = _LastTable("rubric", kinds, task=task)
        self._rubric_rows(rows, header_at + 1, kinds, index, self.last_table)

    def _claim(self, task: _Task, location: Location) -> bool:
        if task.rubric_location is not None:
            self.problem(
                location,
                "rubric",
                "problem.rubric_twice",
                number=task.number,
                first=task.rubric_location.describe(),
            )
            return False
        task.rubric_location = location
        return True

    def _rubric_rows(
        self,
        rows: list[list[str]],
        start: int,
        kinds: list[str | None],
        index: int,
        last: _LastTable,
    ) -> None:
        for offset, row in enumerate(rows[start:], start=start + 1):
            location = Location(self.file, table=index, row=offset)
            texts = [_flat(cell) for cell in row]
            filled = [t for t in texts if t]
            if not filled or _header(row) == kinds:
                continue
            if _key(filled[0]).startswith(_TOTAL_ROW):
                continue
            if len(filled) == len(row) > 1 and len(set(filled)) == 1:
                self._rubric_merged_row(row[0], location, last)
                continue
            if last.task is not None:
                self._rubric_row(row, kinds, location, last.task)

    def _rubric_merged_row(self, text: str, location: Location, last: _LastTable) -> None:
        """A row merged across the table: a veto clause, or a 试题N line starting a task."""
        flat = _flat(text)
        if "否决" in flat:
            criteria = clean_lines(re.sub(r"^\s*否决项?\s*[:：]?\s*", "", text.strip()))
            if last.task is not None:
                last.task.rubric.append(
                    RubricRow(
                        element="否决项",
                        score=0.0,
                        criteria=criteria or clean_text(text),
                        veto=True,
                    )
                )
                last.task.rubric_scores.append(0.0)
            return
        ref = _TASK_REF.search(_key(flat))
        if ref is None:
            return
        task = self.task(task_number(ref.group(1) or ref.group(2)))
        if task is None:
            number = task_number(ref.group(1) or ref.group(2))
            self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
            last.task = None
            return
        self._apply_meta(task, flat)
        last.task = task if self._claim(task, location) else None

    def _rubric_row(
        self, row: list[str], kinds: list[str | None], location: Location, task: _Task
    ) -> None:
        elements = _distinct([clean_text(c) for c in _cells(row, kinds, "element")])
        element = "：".join(elements)
        criteria = "\n".join(_distinct([clean_lines(c) for c in _cells(row, kinds, "criteria")]))
        score_text = next((_flat(c) for c in _cells(row, kinds, "score") if _flat(c)), "")
        number_text = " ".join(_flat(c) for c in _cells(row, kinds, "number"))
        marks = [_flat(c) for c in _cells(row, kinds, "veto")]
        veto = (
            any(m not in _NO_MARK and parse_judgement(m) is not False for m in marks)
            or "否决" in number_text
            or "否决" in score_text
            or _key(element).startswith("否决")
        )
        prefixed = re.match(r"^否决项?\s*[:：]\s*(.+)$", element)
        if prefixed is not None:
            element = prefixed.group(1)
        before = len(self.problems)
        score: float | None = None
        if "否决" in score_text:
            digits = re.search(r"\d+(?:\.\d+)?", score_text)
            score = float(digits.group(0)) if digits else 0.0
        elif not score_text:
            if veto:
                score = 0.0
            else:
                self.problem(location, "score", "problem.missing")
        else:
            try:
                score = parse_number(score_text)
            except ValueError:
                self.problem(location, "score", "problem.bad_number", value=score_text)
            else:
                if score is not None and score < 0:
                    self.problem(location, "score", "problem.negative", value=score_text)
        if not element:
            self.problem(location, "element", "problem.missing")
        if not criteria:
            self.problem(location, "criteria", "problem.missing")
        task.rubric_scores.append(score if len(self.problems) == before else None)
        if len(self.problems) == before and score is not None:
            task.rubric.append(
                RubricRow(element=element, score=score, criteria=criteria, veto=veto)
            )

    def _prep_rows(
        self,
        rows: list[list[str]],
        start: int,
        kinds: list[str | None],
        index: int,
        last: _LastTable,
    ) -> None:
        target = self.prep[last.kind]
        for offset, row in enumerate(rows[start:], start=start + 1):
            location = Location(self.file, table=index, row=offset)
            texts = [clean_text(cell) for cell in row]
            filled = [t for t in texts if t]
            if not filled or _header(row) == kinds:
                continue
            numbers = [clean_text(c) for c in _cells(row, kinds, "number")]
            if all(t in numbers and t.isdigit() for t in filled):
                continue  # a numbered blank row of a template
            names = _distinct([clean_text(c) for c in _cells(row, kinds, "name")])
            name = " ".join(names)
            merged = len(filled) == len(row) > 1 and len(set(filled)) == 1
            group = (not name and len(filled) == 1) or (
                bool(name) and _ENUM.match(name) is not None and len(_distinct(filled)) == 1
            )
            if merged or group:
                label = _strip_enumeration(filled[0])
                if not _NOTE.match(_flat(filled[0])) and label:
                    last.category = clean_text(label)
                continue
            if not name:
                self.problem(location, "name", "problem.missing")
                continue
            quantity = "".join(_distinct([clean_text(c) for c in _cells(row, kinds, "quantity")]))
            unit = "".join(_distinct([clean_text(c) for c in _cells(row, kinds, "unit")]))
            if unit and not quantity.endswith(unit):
                quantity += unit
            category = " ".join(_distinct([clean_text(c) for c in _cells(row, kinds, "category")]))
            target.append(
                PrepRow(
                    name=name,
                    spec=" ".join(_distinct([clean_text(c) for c in _cells(row, kinds, "spec")])),
                    quantity=quantity,
                    note=" ".join(_distinct([clean_text(c) for c in _cells(row, kinds, "note")])),
                    category=category or last.category,
                )
            )

    # -- the record -------------------------------------------------------------------------

    def finish(self) -> Parsed[PracticalSetRecord]:
        self.code = self.code or self.set_number
        if not self.title:
            self.problem(self.title_location, "title", "problem.missing")
        if not self.code:
            self.problem(self.title_location, "code", "problem.missing")
        if not self.tasks:
            self.problem(Location(self.file), "tasks", "problem.no_tasks")
        tasks = [t for t in (self._task_record(task) for task in self.tasks) if t is not None]
        scores = [t.score for t in self.tasks]
        known = [s for s in scores if s is not None and s > 0]
        if self.tasks and len(known) == len(scores):
            problem = set_total_problem(known, self.code, self.title_location)
            if problem is not None:
                self.problems.append(problem)
        if self.problems:
            return Parsed(problems=self.problems)
        record = PracticalSetRecord(
            code=self.code,
            title=self.title,
            location=self.title_location,
            venue_prep=tuple(self.prep["venue"]),
            candidate_prep=tuple(self.prep["candidate"]),
            tasks=tuple(tasks),
            total_minutes=self.total_minutes,
            author=self.author or None,
        )
        return Parsed(records=[record])

    def _task_record(self, task: _Task) -> PracticalTask | None:
        before = len(self.problems)
        if not task.title:
            self.problem(task.location, "title", "problem.missing")
        if not task.requirements:
            self.problem(task.location, "requirements", "problem.missing")
        if task.score is None:
            self.problem(task.location, "score", "problem.missing")
        elif task.score <= 0:
            self.problem(
                task.location, "score", "problem.not_positive", value=clean_text(task.score)
            )
        if task.rubric_location is None or not task.rubric_scores:
            self.problem(task.location, "rubric", "problem.missing")
        elif task.score is not None and all(s is not None for s in task.rubric_scores):
            problem = rubric_total_problem(
                [s for s in task.rubric_scores if s is not None],
                task.score,
                task.number,
                task.rubric_location,
            )
            if problem is not None:
                self.problems.append(problem)
        if len(self.problems) > before or task.score is None:
            return None
        return PracticalTask(
            number=task.number,
            title=task.title,
            requirements="\n".join(task.requirements),
            score=task.score,
            time_limit_minutes=task.minutes,
            module_code=task.module or None,
            rubric=tuple(task.rubric),
        )
