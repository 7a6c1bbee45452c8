"""A practical paper set (操作技能考核试卷) from a Word document, as skill-test centres write it.

One set per document, in the national order: a title with the set code (`试卷编号：DG4-SC-01`
or `第1套`), `考场准备通知单` and `考生准备通知单` each with a table (序号 | 名称 | 规格型号 |
数量 | 备注, optionally grouped by 工具/材料/设备 rows, a 类别 column or a label line before the
table), the tasks (`试题1：…`, `考核要求：` and its lines, `配分：40分`, `考核时间：60分钟`,
or both on one line such as `（配分40分，考试时间60min）`), and a `评分记录表` per task
(评分要素 | 配分 | 评分标准 | 扣分 | 得分, in any order and wording). Rubric tables may follow
each task or come together after all tasks, each introduced by `试题N` or taken in task order.

Veto rows (否决项) are marked by ★ or ☆, or by 否决/否决项/否定项, anywhere in the row: a
否决 column, the 序号, element, 配分 or (when the 配分 is not a positive number) criteria cell,
or a merged row of text; their 配分 may be 0, "—", "/", "否决" or blank. Markers are taken out
of the element (`★安全文明生产（否决项）` → `安全文明生产`).

An overall score table (操作技能考核总成绩表, 成绩汇总表, …), before or after the scoring
sheets, is checked against the tasks: a task's 配分 (and 考核时间, when it has a column) that
differs from the task's, a task it does not list, a row naming no task and a 合计 that is not
the sum are problems located at its row. The set's total time comes from `考核时间合计150min`
(or `考核时间：150分钟` in the head, or the 合计 row of the score table), else is the sum of
the tasks' times when every task has one.

Preparation sections (`场地准备`, `设备准备`, `工具、材料准备`, …, anywhere) are kept as rows
of the 考场 list (the 考生 list when inside 考生准备通知单) with the section as their category:
table rows, and each text line (`1. 考场面积不小于50㎡`). Numbered lines inside a 准备通知单
are kept the same way; prose notes there (`本单于考前发至考点…`) are not list rows. A list
printed twice (the 考生准备通知单 in the notice and again in the paper) is kept once.
考评员 signature lines, notes, and repeats of the set's title (a page header) are skipped.

Stored text is `qbank.text.normalize.clean_text`, kept as typed. Words are matched on a
same-length half-width form (`_half`), so matches are cut out of the stored text at the same
places; column headers are matched after NFKC with all spaces removed, so
`考 场 准 备 通 知 单` and line breaks inside header cells read the same. Locations are the
body paragraph number, or table number and row, as Word shows them (1-based).
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from formats import limits as reading_limits
from importers.practical import (
    clean_lines,
    format_score,
    parse_minutes,
    rubric_total_problem,
    scores_equal,
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
from qbank.text.nfkc import nfkc
from qbank.text.normalize import clean_text, parse_judgement, parse_number

_NUM = r"([0-9]+|[一二三四五六七八九十]+)"
# 试题1, 考题一, 题目1, 第1题, and 任务一 / 项目1 when a separator or the line's end follows.
_TASK_HEAD = re.compile(
    rf"^(?:(?:试题|考题|题目)\s*{_NUM}|第\s*{_NUM}\s*题|(?:任务|项目)\s*{_NUM}(?=[\s:、.]|$))"
    r"\s*[:、.]?\s*(.*)$"
)
_TASK_REF = re.compile(
    rf"(?:试题|考题|题目)\s*{_NUM}|第\s*{_NUM}\s*题|(?<!考核)(?:任务|项目)\s*{_NUM}(?![0-9])"
)
_RUBRIC_HEAD = re.compile(r"评分(?:记录|标准|细则)?表$|^评分(?:标准|记录|细则)$")
_SUMMARY_HEAD = re.compile(
    r"(?:总成绩|成绩汇总|成绩统计|得分汇总|评分汇总|总分|成绩总|分数汇总|成绩登记)(?:表|单)$"
)
_PREP_HEAD = re.compile(r"考([场生])准备(?:通知单|清单|单)?$")
# The national notice: 操作技能考核准备通知单（考场）, 准备通知单(考生用).
_PREP_NOTICE = re.compile(r"准备(?:通知单|清单)(?:\([^()]*\))?$")
_PREP_WORD = (
    r"(?:场地|场所|设备|设施|工具|材料|器材|仪器|仪表|量具|刃具|夹具|工量具|工卡量具|耗材"
    r"|工位|环境|其他|其它)"
)
# A preparation section: `场地准备`, `二、设备准备：`, `工具、材料准备清单`, `场地准备：…`.
_PREP_SECTION = re.compile(
    rf"^({_PREP_WORD}(?:\s*[、,及和与]?\s*{_PREP_WORD})*\s*"
    r"(?:准备(?:清单|要求|情况|工作)?|清单|一览表|明细表?))"
    r"\s*(?::\s*(.*))?$"
)
_NOTES_HEAD = re.compile(r"^(?:注意事项|考生须知|考试须知|考核须知|考场纪律|考场规则)$")
_TRAILING_BRACKETS = re.compile(r"\([^()]*\)$")
_TASKS_HEAD = re.compile(r"(?:试题|试卷正文|试题正文)$")
_CODE = re.compile(
    r"(?<!职业)(?<!工种)(?<!准考证)(?:试卷|套题|题卷)?(?:编号|代码|编码|代号)\s*:\s*([0-9A-Za-z\u4e00-\u9fff][^\s()]*)"
)
_SET_NO = re.compile(rf"第\s*{_NUM}\s*套")
_MINUTES_TEXT = r"(\d+(?:\.\d+)?\s*(?:分钟|minutes|mins|min|分|小时|h))"
_TOTAL_TIME = re.compile(
    r"(?:考试|考核|操作)?总?(?:时间|时长|时限)(?:合计|总计|共计)?\s*[:为共]?\s*" + _MINUTES_TEXT,
    re.IGNORECASE,
)
# The set's total written as such, anywhere: 考核时间合计150min, 考核总时间：150分钟, 合计时间…
_TOTAL_TIME_SUM = re.compile(
    r"(?:(?:考试|考核|操作|鉴定)?(?:总(?:考核|考试|操作)?(?:时间|时长|时限)"
    r"|(?:时间|时长|时限)(?:合计|总计|共计))"
    r"|(?:合计|总计|共计)\s*(?:考核|考试|操作)?(?:时间|时长|时限))"
    r"\s*[:为共]?\s*" + _MINUTES_TEXT,
    re.IGNORECASE,
)
_AUTHOR = re.compile(r"^(?:命题人|命题专家|编写人|出题人|作者)\s*:\s*(.+)$")
_SCORE = re.compile(r"(?:本题)?(?:配分|分值|满分)\s*[:为]?\s*(\d+(?:\.\d+)?)\s*分?")
# In a bracket list after a title: （60分）, （60分，45min）.
_SCORE_BRACKET = re.compile(r"(?<=[(,;、])\s*(\d+(?:\.\d+)?)\s*分(?=\s*[,;、)])")
_TIME_BRACKET = re.compile(
    r"(?<=[(,;、])\s*(\d+(?:\.\d+)?\s*(?:分钟|minutes|mins|min|小时|h))(?=\s*[,;、)])",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?:考核|考试|操作|完成)?(?:时间|时限|限时)(?:要求)?\s*[:为]?\s*" + _MINUTES_TEXT,
    re.IGNORECASE,
)
_META_START = re.compile(r"^(?:本题)?(?:配分|分值|满分|(?:考核|考试|操作|完成)?(?:时间|时限)|限时)")
_TITLE_LINE = re.compile(r"^(?:试题名称|题目名称|试题内容|项目名称)\s*:\s*(.+)$")
_REQUIREMENTS = re.compile(
    r"^(?:具体)?(?:考核要求|操作要求|技术要求|考试要求|考核内容及要求|要求)\s*(?::\s*(.*))?$"
)
_MODULE = re.compile(r"^(?:考核模块|鉴定范围|考核范围|模块)(?:代码|编号)?\s*:\s*(\S+)$")
_SIGNATURE = re.compile(r"^(?:考评员|考评组长|考评人|评分人|核分人|统分人|监考|签名|签字|日期)")
_HEAD_SKIP = re.compile(r"^(?:职业|工种|等级|级别|姓名|考生|准考证|单位|注意事项|说明|注:)")
_NOTE = re.compile(r"^(?:注|说明|备注)\s*[:：]|^(?:\d+[、.)]|\(\d+\))")
_REMARK = re.compile(r"^(?:注|说明|备注)\s*[:：\s]")
_ENUM = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十\d]+\)|\d+[、.]|[①-⑳])\s*"
)
_TOTAL_ROW = ("合计", "总计", "总分", "小计")
_NO_MARK = {"", "无", "-", "—", "/", "否", "×", "x", "X"}
_VETO_WORDS = ("否决", "否定项")
_STARS = "★☆"
# A veto row's 配分 when it is no number: blank, dashes, slashes, or the veto word itself.
_NO_SCORE = re.compile(r"^[\s\-—–―－/／\\、★☆]*(?:一票)?(?:否决项?|否定项)?[\s\-—–―－/／\\]*$")
_VETO_IN_ELEMENT = re.compile(
    r"[（(\[【]\s*(?:一票)?(?:否决项?|否定项)\s*[)）\]】]|^\s*(?:否决项?|否定项)\s*[:：]\s*"
)

_VETO_CLAUSE = re.compile(r"^[\s★☆]*(?:一票)?(?:否决项?|否定项)\s*(?::\s*|$)")
_PAPER_TITLE = re.compile(r"(?:试卷|考核卷)(?:\([^()]*\))?$")
_TASK_ENUM = re.compile(r"^([一二三四五六七八九十]+|[0-9]+)\s*[、.]\s*")
_VETO_LEAD = re.compile(r"^[\s★☆]*(?:(?:一票)?否决项?|否定项)?\s*:?\s*")

_ELEMENT_WORDS = ("要素", "考核内容", "考核要点", "考核项目", "评分项目", "内容", "项目", "要点")
_CRITERIA_WORDS = ("标准", "评分细则", "评分要求", "扣分说明")
_TASK_COLUMN = ("试题", "题号", "试题号", "试题编号", "试题序号", "题序")

# Full-width punctuation and the ideographic space, one for one, to their ASCII forms: a
# stored text and its `_half` form have the same length, so a match in one cuts the other.
_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _half(text: str) -> str:
    """Matching form of stored text: same length, full-width punctuation made ASCII."""
    return text.translate(_HALF)


def _flat(text: str) -> str:
    """One-line matching form of a raw text: kept as typed, then `_half`."""
    return _half(clean_text(text))


def _cut(text: str, pattern: re.Pattern[str]) -> str:
    """`text` without what `pattern` matches in its `_half` form."""
    half = _half(text)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(half):
        parts.append(text[last : match.start()])
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def _ref_number(match: re.Match[str]) -> str:
    """The task number a `_TASK_HEAD` or `_TASK_REF` match names."""
    return task_number(match.group(1) or match.group(2) or match.group(3))


def _key(text: str) -> str:
    """Matching form without any spaces: `考 场 准 备` and `考场准备` are one word."""
    return re.sub(r"\s+", "", nfkc(text))


def _is_veto_marked(text: str) -> bool:
    return any(s in text for s in _STARS) or any(w in _key(text) for w in _VETO_WORDS)


def _column_kind(text: str) -> str | None:
    """What a header cell names, for rubric, preparation and score tables alike."""
    key = re.sub(r"\(.*?\)", "", _key(text))
    if not key:
        return None
    if key in _TASK_COLUMN:
        return "task"  # which 试题 a row is about (a score table, one rubric for all tasks)
    if key in ("序号", "序", "编号", "No.", "No"):
        return "number"
    if "否决" in key:
        return "veto"
    if key in ("标准分", "满分", "分值", "配分"):
        return "score"
    if any(w in key for w in _CRITERIA_WORDS):
        return "criteria"
    if "扣分" in key:
        return "deduction"
    if "得分" in key or "成绩" in key:
        return "result"
    if any(w in key for w in ("配分", "分值", "分数", "权重")) or key == "分":
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
    if any(w in key for w in ("时间", "时限", "时长")):
        return "time"
    if key.endswith("要求"):
        return "requirement"  # 考核要求 / 技术要求: the criteria when no 评分标准 column says more
    if any(w in key for w in _ELEMENT_WORDS):
        return "element"
    return None


def _header(row: list[str]) -> list[str | None] | None:
    kinds = [_column_kind(cell) for cell in row]
    if "criteria" not in kinds:
        kinds = ["criteria" if k == "requirement" else k for k in kinds]
    found = {k for k in kinds if k is not None and k != "number"}
    return kinds if len(found) >= 2 else None


def _is_rubric(kinds: list[str | None]) -> bool:
    return {"element", "score", "criteria"} <= set(kinds)


def _is_prep(kinds: list[str | None]) -> bool:
    return "name" in kinds


def _is_summary_shape(kinds: list[str | None]) -> bool:
    """Columns of an overall score table: a task (number or name) and its 配分, no criteria."""
    present = set(kinds)
    return (
        "score" in present
        and "criteria" not in present
        and bool(present & {"number", "task", "name", "element"})
    )


def _cells(row: list[str], kinds: list[str | None], kind: str) -> list[str]:
    return [row[i] for i, k in enumerate(kinds) if k == kind and i < len(row)]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _meta(text: str) -> tuple[float | None, int | None, str]:
    """Score and minutes written in a stored line (`配分：40分`, `（40分）`, `考试时间60min`),
    and the rest of the line, as typed, once they are taken out."""
    score: float | None = None
    minutes: int | None = None
    rest = text
    for pattern in (_SCORE, _SCORE_BRACKET):
        match = pattern.search(_half(rest))
        if match is not None and score is None:
            score = float(match.group(1))
            rest = rest[: match.start()] + " " + rest[match.end() :]
    match = _TIME.search(_half(rest)) or _TIME_BRACKET.search(_half(rest))
    if match is not None:
        try:
            minutes = parse_minutes(match.group(1))
            rest = rest[: match.start()] + " " + rest[match.end() :]
        except ValueError:
            minutes = None
    rest = _cut(rest, re.compile(r"\(\s*[,;、\s]*\s*\)"))
    rest = _cut(rest, re.compile(r"^[\s,;、:.。]+|[\s,;、:.。]+$"))
    rest = re.sub(r"\s+", " ", rest)
    return score, minutes, rest


def _strip_enumeration(text: str) -> str:
    match = _ENUM.match(_half(text))
    if match is not None:
        text = text[match.end() :]
    return text.strip().rstrip(":：").strip()


def _enumerated(text: str) -> bool:
    return _ENUM.match(_half(text)) is not None


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
    group: list[PrepRow] = field(default_factory=list)
    veto_rows: bool = False  # after a merged 否决项 heading row: rows without a score are vetoes


@dataclass
class _SummaryRow:
    """A row of an overall score table, kept to be checked once every task is read."""

    location: Location
    number: str  # the task's number as written in the row, or ""
    name: str
    score: str
    time: str
    total: bool


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
        self.mode = "head"  # head | notes | venue | candidate | tasks | rubric | summary
        self.title = ""
        self.title_location = Location(file)
        self.code = ""  # from 试卷编号
        self.set_number = ""  # from 第N套
        self.total_minutes: int | None = None
        self.total_stated = False  # from 考核时间合计… (wins over the head's 考试时间)
        self.author = ""
        self.prep_groups: list[tuple[str, list[PrepRow]]] = []  # audience, rows of one list
        self.label = ""  # a category line before a preparation table
        self.section = ""  # an open preparation section (场地准备 …): its text lines are rows
        self.section_group: list[PrepRow] | None = None
        self.pending: str | None = None  # a short line: a table's label, or else a row
        self.resume: _Task | None = None  # the task a preparation section interrupted
        self.tasks: list[_Task] = []
        self.current: _Task | None = None
        self.ref: str | None = None  # task named before the next rubric table
        self.last_table: _LastTable | None = None
        self.summaries: list[tuple[Location, list[_SummaryRow]]] = []
        self.rubric_task: _Task | None = None  # the task of the rubric table just read
        self.open_veto: tuple[_Task, list[str]] | None = None  # 否定项：… under a rubric table

    def problem(self, location: Location, field_name: str, key: str, /, **params: object) -> None:
        self.problems.append(Problem(location, field_name, key, dict(params)))

    def task(self, number: str) -> _Task | None:
        return next((t for t in self.tasks if t.number == number), None)

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.rubric_task = None
        self.label = ""
        self.section = ""
        self.section_group = None
        self.pending = None

    # -- paragraphs -------------------------------------------------------------------------

    def paragraph(self, raw: str, index: int) -> None:
        text = clean_text(raw)
        if not text:
            return
        self.last_table = None
        flat = _half(text)
        key = flat.replace(" ", "")
        location = Location(self.file, paragraph=index)
        pending, self.pending = self.pending, None
        if pending is not None and self.mode in ("venue", "candidate"):
            self._pending_row(pending)
        writing_task = self.mode == "tasks" and self.current is not None and not self.current.closed
        if _SIGNATURE.match(key) and not writing_task:
            return
        if self._title_again(text, writing_task):
            return  # the set's title heading another page
        if self.mode in ("rubric", "tasks") and self._veto_paragraph(text):
            return
        self._close_veto()
        total = _TOTAL_TIME_SUM.search(flat)
        if total is not None and not _half(_strip_enumeration(_cut(text, _TOTAL_TIME_SUM))).strip(
            " ,;.、()。"
        ):
            self._stated_total(total.group(1))
            return
        heading = _TRAILING_BRACKETS.sub(
            "", _strip_enumeration(_half(_meta(text)[2])).replace(" ", "")
        )
        section = _PREP_SECTION.match(_half(_strip_enumeration(text)))
        if section is not None and len(section.group(1)) <= 20:
            self._prep_section(_strip_enumeration(text), section)
            return
        prep = _PREP_HEAD.search(heading)
        notice = _PREP_NOTICE.search(_strip_enumeration(key))
        if notice is not None and prep is None and len(key) <= 40:
            candidate = "考生" in notice.group(0)
        elif prep is not None and len(heading) <= 40:
            candidate = prep.group(1) == "生"
        else:
            candidate = None
        if candidate is not None:
            self._set_mode("candidate" if candidate else "venue")
            self.current = None
            self.resume = None
            return
        if _SUMMARY_HEAD.search(heading) and len(heading) <= 40:
            self._set_mode("summary")
            self.current = None
            return
        if _RUBRIC_HEAD.search(heading) and len(heading) <= 60:
            self._set_mode("rubric")
            self.current = None
            ref = _TASK_REF.search(key)
            if ref is not None:
                self._refer(_ref_number(ref), text, location)
            return
        if self.mode != "head" and not writing_task and _NOTES_HEAD.match(heading):
            self._set_mode("notes")
            return
        head = _TASK_HEAD.match(flat)
        if head is not None:
            number = _ref_number(head)
            rest = text[head.start(4) : head.end(4)]
            if self.mode == "rubric" and self.task(number) is not None:
                self._refer(number, text, location)
            else:
                self._new_task(number, rest, location)
            return
        if self.mode == "tasks" and self._numbered_task(text, location):
            return
        if self.mode == "head":
            self._head_line(text, key, location)
        elif self.mode in ("venue", "candidate"):
            self._prep_line(text, key, location)
        elif self.mode == "tasks" and self.current is not None and not self.current.closed:
            self._task_line(raw, text)
        elif self.mode == "rubric" and self.ref is not None:
            target = self.task(self.ref)
            if target is not None:
                self._apply_meta(target, text)
        elif self.mode in ("notes", "rubric", "summary"):
            self._meta_line(text, location)

    def _veto_paragraph(self, text: str) -> bool:
        """`否定项：出现下列情况之一者本题记0分` under a rubric table, and its numbered lines:
        one veto row of that table's task."""
        if self.rubric_task is None:
            return False
        clause = _VETO_CLAUSE.match(_half(_strip_enumeration(text)))
        if clause is not None:
            self._close_veto()
            rest = _strip_enumeration(text)[clause.end() :].strip()
            self.open_veto = (self.rubric_task, [rest] if rest else [])
            return True
        if self.open_veto is not None and _enumerated(text):
            self.open_veto[1].append(text)
            return True
        return False

    def _close_veto(self) -> None:
        if self.open_veto is None:
            return
        task, lines = self.open_veto
        self.open_veto = None
        task.rubric.append(
            RubricRow(element="否决项", score=0.0, criteria="\n".join(lines) or "否决项", veto=True)
        )
        task.rubric_scores.append(0.0)

    def _title_again(self, text: str, writing_task: bool) -> bool:
        """The set's title once more: a page header (inside a task's text only when it reads
        as a paper's title, so a requirement line that happens to equal it is kept)."""
        if self.mode == "head" or not self.title or _key(text) != _key(self.title):
            return False
        return not writing_task or any(w in self.title for w in ("试卷", "考核", "试题"))

    def _stated_total(self, value: str) -> None:
        try:
            self.total_minutes = parse_minutes(value)
            self.total_stated = True
        except ValueError:
            pass

    def _meta_line(self, text: str, location: Location | None = None) -> None:
        """Outside the head, a line may still give the set's code, its total time, or its
        title (`…考核试卷` after a 准备通知单 that opened the file)."""
        flat = _half(text)
        if (
            location is not None
            and len(text) <= 60
            and _PAPER_TITLE.search(flat.replace(" ", ""))
            and not ("试卷" in self.title or "考核" in self.title)
        ):
            self.title, self.title_location = clean_text(text), location
            return
        code = _CODE.search(flat)
        if code is not None and not self.code:
            self.code = clean_text(text[code.start(1) : code.end(1)])
        total = _TOTAL_TIME.search(flat)
        if total is not None and self.total_minutes is None and self.mode != "rubric":
            with contextlib.suppress(ValueError):
                self.total_minutes = parse_minutes(total.group(1))

    def _head_line(self, text: str, key: str, location: Location) -> None:
        if self.title and _TASKS_HEAD.search(_strip_enumeration(key)) and len(key) <= 20:
            self._set_mode("tasks")
            return
        author = _AUTHOR.match(_half(text))
        if author is not None:
            self.author = clean_text(text[author.start(1) : author.end(1)])
            return
        rest = text
        code = _CODE.search(_half(rest))
        if code is not None:
            self.code = clean_text(rest[code.start(1) : code.end(1)])
            rest = rest[: code.start()] + rest[code.end() :]
        set_no = _SET_NO.search(_half(rest))
        if set_no is not None:
            # 第N套 names the set when no 试卷编号 does; inside a title it stays in the title.
            self.set_number = self.set_number or task_number(set_no.group(1))
            outside = _half(rest[: set_no.start()] + rest[set_no.end() :])
            if not re.sub(r"[\s()]", "", outside):
                return
        total = _TOTAL_TIME.search(_half(rest))
        if total is not None:
            try:
                minutes = parse_minutes(total.group(1))
                rest = rest[: total.start()] + rest[total.end() :]
                if not self.total_stated:
                    self.total_minutes = minutes
            except ValueError:
                pass
        rest = _cut(rest, re.compile(r"\(\s*\)")).strip(" :,;：，；")
        flat = _half(rest)
        if not rest or _HEAD_SKIP.match(flat.replace(" ", "")) or _NOTE.match(flat):
            return
        has_paper_word = "试卷" in rest or "考核" in rest
        if not self.title or (
            has_paper_word and not ("试卷" in self.title or "考核" in self.title)
        ):
            self.title = clean_text(rest)
            self.title_location = location

    # -- preparation lists ------------------------------------------------------------------

    def _audience(self) -> str:
        return "candidate" if self.mode == "candidate" else "venue"

    def _prep_section(self, text: str, section: re.Match[str]) -> None:
        """`场地准备` (or `设备准备：…`): a preparation section of the current notice, or of the
        考场 list when it stands on its own; a task it interrupts resumes at its next line."""
        writing = self.mode == "tasks" and self.current is not None and not self.current.closed
        if writing and section.group(2):  # `材料准备：…` inside a task: one row, the task goes on
            label, self.section = self.section, clean_text(text[section.start(1) : section.end(1)])
            group, self.section_group = self.section_group, None
            self._text_row(clean_text(text[section.start(2) : section.end(2)]), audience="venue")
            self.section, self.section_group = label, group
            return
        if writing:
            self.resume = self.current
        audience = self._audience()
        self._set_mode(audience)
        self.current = None
        label = clean_text(text[section.start(1) : section.end(1)])
        self.section = self.label = label
        content = section.group(2)
        if content:
            self._text_row(clean_text(text[section.start(2) : section.end(2)]))

    def _group(self, audience: str) -> list[PrepRow]:
        group: list[PrepRow] = []
        self.prep_groups.append((audience, group))
        return group

    def _text_row(self, text: str, audience: str | None = None) -> None:
        name = _strip_enumeration(text)
        if not name:
            return
        if self.section_group is None:
            self.section_group = self._group(audience or self._audience())
        self.section_group.append(PrepRow(name=name, category=self.section))

    def _pending_row(self, text: str) -> None:
        """A short line no table followed: a row of the open section, or a numbered row."""
        if self.section or _enumerated(text):
            self._text_row(text)

    def _prep_line(self, text: str, key: str, location: Location) -> None:
        if _TASKS_HEAD.search(_strip_enumeration(key)) and len(key) <= 20:
            self._set_mode("tasks")
            return
        if self.resume is not None and self._task_structure(text):
            self._set_mode("tasks")
            self.current, self.resume = self.resume, None
            self._task_line(text, text)
            return
        flat = _half(text)
        if _REMARK.match(flat):
            return
        label = _strip_enumeration(text)
        if label and len(label) <= 8 and not re.search(r"[,.;:。!?]", _half(label)):
            self.pending = text  # a table's label if one follows, else a row
            self.label = clean_text(label)
            return
        if self.section or _enumerated(text):
            self._text_row(text)
        else:
            self._meta_line(text, location)

    @staticmethod
    def _task_structure(text: str) -> bool:
        flat = _half(text)
        if _REQUIREMENTS.match(flat) or _TITLE_LINE.match(flat) or _MODULE.match(flat):
            return True
        score, minutes, rest = _meta(_strip_enumeration(text))
        return (score is not None or minutes is not None) and not _strip_enumeration(rest)

    # -- tasks ------------------------------------------------------------------------------

    def _task_line(self, raw: str, text: str) -> None:
        task = self.current
        assert task is not None
        label = _strip_enumeration(text)  # `（4）具体考核要求：…`, `1. 考核要求`
        if label != text and (_REQUIREMENTS.match(_half(label)) or _TITLE_LINE.match(_half(label))):
            text = label
        flat = _half(text)
        title = _TITLE_LINE.match(flat)
        if title is not None and not task.title:
            task.title = clean_text(text[title.start(1) : title.end(1)])
            return
        requirements = _REQUIREMENTS.match(flat)
        if requirements is not None:
            if requirements.group(1):
                task.requirements.append(
                    clean_text(text[requirements.start(1) : requirements.end(1)])
                )
            return
        module = _MODULE.match(flat)
        if module is not None:
            task.module = clean_text(text[module.start(1) : module.end(1)])
            return
        score, minutes, rest = _meta(_strip_enumeration(text))
        if score is not None or minutes is not None:
            if not _strip_enumeration(rest):
                self._set_meta(task, score, minutes)
                return
            if _META_START.match(_half(_strip_enumeration(text))):  # 考核时间：60分钟（含…）
                self._set_meta(task, score, minutes)
        if not task.title and not task.requirements and len(text) <= 40 and "\n" not in raw.strip():
            task.title = _strip_enumeration(text)  # `试题1` alone, its title on the next line
            return
        task.requirements.extend(line for line in clean_lines(raw).split("\n") if line)

    def _numbered_task(self, text: str, location: Location) -> bool:
        """In the tasks section, `一、电动机控制线路安装（60分）` (or `2. …（配分40分）` once the
        task before is closed by its rubric) is a task: an enumerated line that gives a score."""
        match = _TASK_ENUM.match(_half(text))
        if match is None:
            return False
        chinese = not match.group(1).isdigit()
        if not chinese and self.current is not None and not self.current.closed:
            return False  # `1. 按图接线（10分）` is a requirement line of the open task
        score, _, title = _meta(text[match.end() :])
        if score is None or not title:
            return False
        self._new_task(task_number(match.group(1)), text[match.end() :], location)
        return True

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
        self.resume = None
        self._set_mode("tasks")
        self.ref = None

    def _refer(self, number: str, text: str, location: Location) -> None:
        self.ref = number
        target = self.task(number)
        if target is None:
            self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
            return
        self._apply_meta(target, text)

    def _apply_meta(self, task: _Task, text: str) -> None:
        score, minutes, _ = _meta(text)
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
        pending, self.pending = self.pending, None
        self._close_veto()
        self.rubric_task = None
        if not rows:
            return
        last, self.last_table = self.last_table, None
        header_at, kinds = next(
            ((i, k) for i, row in enumerate(rows[:4]) if (k := _header(row)) is not None),
            (None, None),
        )
        while header_at is not None and kinds is not None and header_at + 1 < len(rows):
            below = rows[header_at + 1]  # a header over two rows: 评分 above 扣分 | 得分
            if _header(below) is None or any(_column_kind(c) is None for c in below if _key(c)):
                break
            kinds = [b or a for a, b in zip_longest(kinds, map(_column_kind, below))]
            header_at += 1
        if header_at is None or kinds is None:
            if last is not None and len(last.kinds) == max(len(r) for r in rows):
                self._continue(last, rows, index)
            elif self.mode in ("venue", "candidate"):
                self.problem(location, "preparation", "problem.prep_header_not_found")
            elif self.mode == "rubric":
                self.problem(location, "rubric", "problem.rubric_header_not_found")
            if pending is not None and self.mode in ("venue", "candidate"):
                self._pending_row(pending)
            return
        titled = any(_SUMMARY_HEAD.search(_key(" ".join(row))) for row in rows[:header_at])
        if (
            not _is_rubric(kinds)
            and _is_summary_shape(kinds)
            and (
                titled
                or self.mode == "summary"
                or (  # unheaded, among the scoring sheets: it must name tasks, not elements
                    self.mode == "rubric"
                    and bool({"result", "time"} & set(kinds))
                    and bool({"task", "name"} & set(kinds))
                )
            )
        ):
            self._summary_table(rows, header_at, kinds, index)
        elif _is_rubric(kinds):
            self._rubric_table(rows, header_at, kinds, index)
        elif _is_prep(kinds) and (
            self.mode in ("venue", "candidate")
            or (self.mode in ("head", "notes", "tasks") and bool({"spec", "quantity"} & set(kinds)))
        ):
            audience = self._audience()
            category = self.label
            self.label = ""
            self.last_table = _LastTable(
                audience, kinds, category=category, group=self._group(audience)
            )
            self._prep_rows(rows, header_at + 1, kinds, index, self.last_table)
            self.section_group = None  # text lines after the table are a list of their own
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
        elif last.kind == "summary" and self.summaries:
            self._summary_rows(rows, 0, last.kinds, index, self.summaries[-1][1])

    # -- the overall score table ------------------------------------------------------------

    def _summary_table(
        self, rows: list[list[str]], header_at: int, kinds: list[str | None], index: int
    ) -> None:
        found: list[_SummaryRow] = []
        self.summaries.append((Location(self.file, table=index, row=header_at + 1), found))
        self.last_table = _LastTable("summary", kinds)
        self._summary_rows(rows, header_at + 1, kinds, index, found)

    def _summary_rows(
        self,
        rows: list[list[str]],
        start: int,
        kinds: list[str | None],
        index: int,
        found: list[_SummaryRow],
    ) -> None:
        for offset, row in enumerate(rows[start:], start=start + 1):
            texts = [clean_text(cell) for cell in row]
            filled = _distinct(texts)
            if not filled or _header(row) == kinds:
                continue
            location = Location(self.file, table=index, row=offset)
            joined = _half(" ".join(filled))
            stated = _TOTAL_TIME_SUM.search(joined)
            if stated is not None and len(filled) == 1:
                self._stated_total(stated.group(1))
                continue
            cells = _cells(texts, kinds, "task") + _cells(texts, kinds, "number")
            number = next((c for c in cells if c), "")
            names = _cells(texts, kinds, "name") + _cells(texts, kinds, "element")
            found.append(
                _SummaryRow(
                    location=location,
                    number=number,
                    name=next((n for n in names if n), ""),
                    score=next((c for c in _cells(texts, kinds, "score") if c), ""),
                    time=next((c for c in _cells(texts, kinds, "time") if c), ""),
                    total=_key(filled[0]).startswith(_TOTAL_ROW),
                )
            )

    def _summary_task(self, row: _SummaryRow) -> _Task | None:
        for text in (row.number, row.name):
            ref = _TASK_REF.search(_half(text))
            number = _ref_number(ref) if ref else task_number(text)
            task = self.task(number) if number else None
            if task is not None:
                return task
        name = _key(row.name)
        return next((t for t in self.tasks if name and _key(t.title) == name), None)

    def _check_summary(self, header: Location, rows: list[_SummaryRow]) -> None:
        listed: set[str] = set()
        for row in rows:
            score = self._summary_number(row, row.score, "score")
            minutes = self._summary_minutes(row)
            if row.total:
                self._check_summary_total(row, score, minutes)
                continue
            task = self._summary_task(row)
            if task is None:
                name = row.number if not row.name else row.name
                self.problem(row.location, "tasks", "problem.summary_unknown_task", name=name)
                continue
            listed.add(task.number)
            if score is not None and task.score is not None and not scores_equal(score, task.score):
                self.problem(
                    row.location,
                    "score",
                    "problem.summary_task_score",
                    number=task.number,
                    value=format_score(score),
                    expected=format_score(task.score),
                )
            if minutes is not None:
                if task.minutes is None:
                    task.minutes = minutes
                elif minutes != task.minutes:
                    self.problem(
                        row.location,
                        "time_limit",
                        "problem.summary_task_time",
                        number=task.number,
                        value=minutes,
                        expected=task.minutes,
                    )
        for task in self.tasks:
            if task.number not in listed:
                self.problem(header, "tasks", "problem.summary_missing_task", number=task.number)

    def _check_summary_total(
        self, row: _SummaryRow, score: float | None, minutes: int | None
    ) -> None:
        scores = [t.score for t in self.tasks]
        if score is not None and all(s is not None for s in scores):
            expected = sum(s for s in scores if s is not None)
            if not scores_equal(score, expected):
                self.problem(
                    row.location,
                    "score",
                    "problem.summary_total",
                    value=format_score(score),
                    expected=format_score(expected),
                )
        if minutes is not None and self.total_minutes is None:
            self.total_minutes = minutes

    def _summary_number(self, row: _SummaryRow, text: str, field_name: str) -> float | None:
        if not text or _NO_SCORE.match(text):
            return None
        try:
            return parse_number(text)
        except ValueError:
            self.problem(row.location, field_name, "problem.bad_number", value=text)
            return None

    def _summary_minutes(self, row: _SummaryRow) -> int | None:
        if not row.time or _NO_SCORE.match(row.time):
            return None
        try:
            return parse_minutes(row.time)
        except ValueError:
            self.problem(row.location, "time_limit", "problem.bad_minutes", value=row.time)
            return None

    # -- rubric tables ----------------------------------------------------------------------

    def _rubric_table(
        self, rows: list[list[str]], header_at: int, kinds: list[str | None], index: int
    ) -> None:
        location = Location(self.file, table=index, row=header_at + 1)
        number = self.ref
        first_task = next(
            (c for row in rows[header_at + 1 :] for c in _cells(row, kinds, "task") if c.strip()),
            "",
        )
        if first_task:  # one table for all tasks: rows say which task they belong to
            number = self._task_cell_number(first_task)
        for row in rows[:header_at]:
            ref = _TASK_REF.search(_key(" ".join(row)))
            if ref is not None:
                number = _ref_number(ref)
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
            self._apply_meta(task, clean_text(" ".join(dict.fromkeys(row))))
        self.ref = None
        if self.current is task:
            task.closed = True
        if not self._claim(task, location):
            return
        self.last_table = _LastTable("rubric", kinds, task=task)
        self.rubric_task = task
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
            cell = next((c for c in _cells(row, kinds, "task") if c.strip()), "")
            if cell and not self._task_row(cell, location, last):
                continue
            if last.task is not None:
                self._rubric_row(row, kinds, location, last.task, veto_rows=last.veto_rows)

    @staticmethod
    def _task_cell_number(cell: str) -> str:
        ref = _TASK_REF.search(_key(cell))
        return _ref_number(ref) if ref else task_number(cell)

    def _task_row(self, cell: str, location: Location, last: _LastTable) -> bool:
        """A rubric row naming its 试题: switch to that task (False when it names none)."""
        number = self._task_cell_number(cell)
        task = self.task(number)
        if task is None:
            self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
            last.task = None
            return False
        if task is not last.task:
            last.task = task if self._claim(task, location) else None
            self.rubric_task = last.task
        return last.task is not None

    def _rubric_merged_row(self, raw: str, location: Location, last: _LastTable) -> None:
        """A row merged across the table: a veto clause, or a 试题N line starting a task."""
        text = clean_text(raw)
        flat = _half(text)
        if _REMARK.match(flat):
            return  # 注：标★的为否决项…
        if _is_veto_marked(text):
            lines = [_cut(line, _VETO_LEAD).strip() for line in clean_lines(raw).split("\n")]
            criteria = "\n".join(line for line in lines if line)
            if not criteria:
                last.veto_rows = True  # a heading: the veto clauses follow as rows
                return
            if last.task is not None:
                last.task.rubric.append(
                    RubricRow(element="否决项", score=0.0, criteria=criteria or text, veto=True)
                )
                last.task.rubric_scores.append(0.0)
            return
        ref = _TASK_REF.search(_key(flat))
        if ref is None:
            return
        task = self.task(_ref_number(ref))
        if task is None:
            number = _ref_number(ref)
            self.problem(location, "rubric", "problem.rubric_unknown_task", number=number)
            last.task = None
            return
        self._apply_meta(task, text)
        last.task = task if self._claim(task, location) else None

    def _rubric_row(
        self,
        row: list[str],
        kinds: list[str | None],
        location: Location,
        task: _Task,
        *,
        veto_rows: bool = False,
    ) -> None:
        elements = _distinct([clean_text(c) for c in _cells(row, kinds, "element")])
        criteria = "\n".join(_distinct([clean_lines(c) for c in _cells(row, kinds, "criteria")]))
        score_text = next((clean_text(c) for c in _cells(row, kinds, "score") if clean_text(c)), "")
        number_text = " ".join(clean_text(c) for c in _cells(row, kinds, "number"))
        marks = [_flat(c) for c in _cells(row, kinds, "veto")]
        veto = (
            any(m not in _NO_MARK and parse_judgement(m) is not False for m in marks)
            or _is_veto_marked(number_text)
            or _is_veto_marked(score_text)
            or any(_is_veto_marked(e) for e in elements)
        )
        if not veto and veto_rows and _NO_SCORE.match(_half(score_text)):
            veto = True
        if not veto and _is_veto_marked(criteria) and _NO_SCORE.match(_half(score_text)):
            veto = True  # 配分 — and 否决 in the criteria: a veto clause
        if veto:
            elements = [self._unmarked(e) for e in elements]
        element = "：".join(e for e in elements if e) or ("否决项" if veto else "")
        before = len(self.problems)
        score: float | None = None
        if veto and _NO_SCORE.match(_half(score_text)):
            score = 0.0
        elif veto:
            digits = re.search(r"\d+(?:\.\d+)?", _half(score_text))
            score = float(digits.group(0)) if digits else 0.0
        elif not score_text:
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

    @staticmethod
    def _unmarked(element: str) -> str:
        """An element without its veto markers: ★ ☆, `（否决项）`, a `否决项：` prefix."""
        text = _cut(element, _VETO_IN_ELEMENT)
        text = text.strip().strip(_STARS).strip()
        return "" if _key(text) in ("否决", "否决项", "否定项", "一票否决") else text

    def _prep_rows(
        self,
        rows: list[list[str]],
        start: int,
        kinds: list[str | None],
        index: int,
        last: _LastTable,
    ) -> None:
        target = last.group
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
                bool(name) and _enumerated(name) and len(_distinct(filled)) == 1
            )
            if merged or group:
                label = _strip_enumeration(filled[0])
                if not _NOTE.match(_half(filled[0])) and label:
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

    def _prep(self, audience: str) -> tuple[PrepRow, ...]:
        """The rows of `audience`'s lists in order, a list printed twice kept once."""
        seen: list[list[PrepRow]] = []
        rows: list[PrepRow] = []
        for group_audience, group in self.prep_groups:
            if group_audience != audience or not group or group in seen:
                continue
            seen.append(group)
            rows.extend(group)
        return tuple(rows)

    def finish(self) -> Parsed[PracticalSetRecord]:
        self._close_veto()
        if self.pending is not None and self.mode in ("venue", "candidate"):
            self._pending_row(self.pending)
        self.code = self.code or self.set_number
        if not self.title:
            self.problem(self.title_location, "title", "problem.missing")
        if not self.code:
            self.problem(self.title_location, "code", "problem.missing")
        if not self.tasks:
            self.problem(Location(self.file), "tasks", "problem.no_tasks")
        for header, rows in self.summaries:
            self._check_summary(header, rows)
        tasks = [t for t in (self._task_record(task) for task in self.tasks) if t is not None]
        scores = [t.score for t in self.tasks]
        known = [s for s in scores if s is not None and s > 0]
        if self.tasks and len(known) == len(scores):
            problem = set_total_problem(known, self.code, self.title_location)
            if problem is not None:
                self.problems.append(problem)
        if self.problems:
            return Parsed(problems=self.problems)
        minutes = [t.minutes for t in self.tasks]
        total_minutes = self.total_minutes
        if total_minutes is None and minutes and all(m is not None for m in minutes):
            total_minutes = sum(m for m in minutes if m is not None)
        record = PracticalSetRecord(
            code=self.code,
            title=self.title,
            location=self.title_location,
            venue_prep=self._prep("venue"),
            candidate_prep=self._prep("candidate"),
            tasks=tuple(tasks),
            total_minutes=total_minutes,
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
                task.location, "score", "problem.not_positive", value=format_score(task.score)
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
