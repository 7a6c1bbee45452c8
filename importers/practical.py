"""Practical paper sets (操作技能试卷) from the documented YAML/JSON form.

The form mirrors `PracticalSetRecord` with English keys (docs/practical-format.md). A file
holds one set (a mapping) or several (`sets: [...]`). Every problem carries the line of the
mapping or key it is about and, in its params, the key path (`sets[0].tasks[2].score`), so
machine-written JSON can be fixed by path too. Unknown keys are problems: a typo such as
`scroe` must not silently drop a score.

The rules every practical layout shares (a set totals 100 points, a task's rubric adds up to
its score, task numbers, requirement lines, minutes) live here too, so the Word importer
reports them the same way.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from formats import limits as reading_limits
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

SET_TOTAL = 100.0
_VETO_MARKS = {"★", "☆", "否决", "否决项", "否定项"}
MAX_MINUTES = 7 * 24 * 60
_EPSILON = 1e-6

SET_KEYS = ("code", "title", "total_minutes", "author", "venue_prep", "candidate_prep", "tasks")
PREP_KEYS = ("name", "spec", "quantity", "note", "category")
TASK_KEYS = ("number", "title", "module", "requirements", "score", "time_limit_minutes", "rubric")
RUBRIC_KEYS = ("element", "score", "criteria", "veto")

# Key of the form -> record field label (`field.*` in the message catalogue).
_FIELD = {
    "code": "code",
    "title": "title",
    "total_minutes": "total_minutes",
    "author": "author",
    "venue_prep": "preparation",
    "candidate_prep": "preparation",
    "tasks": "tasks",
    "name": "name",
    "spec": "spec",
    "quantity": "quantity",
    "note": "note",
    "category": "category",
    "number": "number",
    "module": "module",
    "requirements": "requirements",
    "score": "score",
    "time_limit_minutes": "time_limit",
    "rubric": "rubric",
    "element": "element",
    "criteria": "criteria",
    "veto": "veto",
}


# --- rules shared by every practical layout ---------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """`一` … `九十九` (and Arabic digits) → int; None for anything else."""
    if text.isdigit() and text.isascii():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def task_number(value: object) -> str:
    """Canonical task number: `1`, `01`, `一` and `１` are all task `1`; other text is kept."""
    text = clean_text(value)
    number = chinese_number(text)
    return str(number) if number is not None else text


def is_task_number(number: str) -> bool:
    """Tasks are numbered 1, 2, 3 … (试题1, 试题二): the Word layout knows no other numbers."""
    return number.isascii() and number.isdigit() and int(number) > 0


def clean_lines(value: object) -> str:
    """Multi-line text (requirements, criteria): each line cleaned, blank lines dropped."""
    if value is None:
        return ""
    lines = (clean_text(line) for line in str(value).splitlines())
    return "\n".join(line for line in lines if line)


_MINUTES = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(分钟|分|min|mins|minute|minutes|小时|h|hour|hours)?$", re.IGNORECASE
)


def parse_minutes(value: object) -> int | None:
    """`60`, `60分钟`, `60 min`, `1.5小时` → minutes; None for blank; ValueError otherwise."""
    text = clean_text(value)
    if not text:
        return None
    match = _MINUTES.match(text)
    if match is None:
        raise ValueError(text)
    number = float(match.group(1))
    unit = (match.group(2) or "").lower()
    if unit in ("小时", "h", "hour", "hours"):
        number *= 60
    if not number.is_integer() or not 0 < number <= MAX_MINUTES:
        raise ValueError(text)
    return int(number)


def format_score(value: float) -> str:
    """A score as printed on a paper: `40`, `2.5`."""
    rounded = round(value, 4)
    return str(int(rounded)) if float(rounded).is_integer() else f"{rounded:g}"


def scores_equal(a: float, b: float) -> bool:
    return abs(a - b) < _EPSILON


def set_total_problem(
    scores: list[float], code: str, location: Location, **params: object
) -> Problem | None:
    """The problem when a set's task scores do not add up to 100."""
    total = sum(scores)
    if scores_equal(total, SET_TOTAL):
        return None
    return Problem(
        location,
        "score",
        "problem.set_score_total",
        {"code": code, "total": format_score(total), "expected": format_score(SET_TOTAL)} | params,
    )


def rubric_total_problem(
    rubric_scores: list[float], task_score: float, number: str, location: Location, **params: object
) -> Problem | None:
    """The problem when a task's rubric rows do not add up to the task's score."""
    total = sum(rubric_scores)
    if scores_equal(total, task_score):
        return None
    return Problem(
        location,
        "rubric",
        "problem.rubric_score_total",
        {"number": number, "total": format_score(total), "expected": format_score(task_score)}
        | params,
    )


# --- loading YAML and JSON with line numbers ----------------------------------------------------


@dataclass
class _Map:
    """A mapping as written: its entries, where it and each key stand, keys given twice."""

    line: int | None
    entries: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int | None] = field(default_factory=dict)
    duplicates: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, key: object, value: Any, line: int | None) -> None:
        name = key if isinstance(key, str) else _show(key)
        if name in self.entries:
            self.duplicates.append((name, line))
        self.entries[name] = value
        self.key_lines[name] = line

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML whose mappings are `_Map`s, keeping lines and duplicate keys.

    Aliases (`*name`) are refused: a few kilobytes of them stand for billions of values
    to check (a "billion laughs" file), and a practical set never needs them.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not accepted; write the value out",
                # types-PyYAML leaves Parser.peek_event unannotated.
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        return super().compose_node(parent, index)


def _construct_map(loader: _YamlLoader, node: yaml.MappingNode) -> Iterator[_Map]:
    loader.flatten_mapping(node)
    mapping = _Map(line=node.start_mark.line + 1)
    yield mapping
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        mapping.add(key, value, key_node.start_mark.line + 1)


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each entry."""

    item_lines: tuple[int, ...] = ()


def _construct_seq(loader: _YamlLoader, node: yaml.SequenceNode) -> Iterator[_Seq]:
    sequence = _Seq()
    sequence.item_lines = tuple(child.start_mark.line + 1 for child in node.value)
    yield sequence
    sequence.extend(loader.construct_object(child, deep=True) for child in node.value)


_YamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_YamlLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class _JsonDecoder(json.JSONDecoder):
    """JSON whose objects are `_Map`s with the line each object starts on.

    The pure-Python scanner is the documented hook for custom object parsing; the C scanner
    ignores `parse_object`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.parse_object = self._parse_object
        # typeshed declares neither the pure-Python scanner nor json.decoder.JSONObject
        # (below), though both are the documented hooks for parse_object.
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]

    @staticmethod
    def _parse_object(
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: Callable[[str, int], tuple[Any, int]],
        object_hook: object,
        object_pairs_hook: object,
        memo: dict[str, str] | None = None,
    ) -> tuple[_Map, int]:
        text, start = s_and_end
        pairs, end = json.decoder.JSONObject(  # type: ignore[attr-defined]
            s_and_end, strict, scan_once, None, list, memo
        )
        mapping = _Map(line=text.count("\n", 0, start) + 1)
        for key, value in pairs:
            mapping.add(key, value, mapping.line)
        return mapping, end


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _load(text: str, is_json: bool, file: str) -> tuple[Any, Problem | None]:
    """The document's data, or the syntax problem with its line."""
    fmt = "JSON" if is_json else "YAML"
    try:
        if is_json:
            return _JsonDecoder().decode(text), None
        return yaml.load(text, Loader=_YamlLoader), None
    except json.JSONDecodeError as exc:
        return None, Problem(
            Location(file, row=exc.lineno),
            "file",
            "problem.bad_syntax",
            {"format": fmt, "reason": exc.msg},
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, Problem(
            Location(file, row=line),
            "file",
            "problem.bad_syntax",
            {"format": fmt, "reason": reason},
        )
    except (RecursionError, ValueError) as exc:
        # ValueError: values the grammar accepts but Python cannot build (a 31 February
        # timestamp, an integer longer than Python's digit limit).
        reason = "nesting too deep" if isinstance(exc, RecursionError) else str(exc)
        return None, Problem(
            Location(file), "file", "problem.bad_syntax", {"format": fmt, "reason": reason}
        )


def _show(value: object) -> str:
    """A short rendering of a wrong value for a message."""
    if isinstance(value, _Map):
        return "{…}"
    if isinstance(value, list | tuple | set | dict):
        return "[…]"
    text = clean_text(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# --- reading the form -------------------------------------------------------------------------


def read_practical_data(
    path: str | Path, *, display_name: str | None = None
) -> Parsed[PracticalSetRecord]:
    """Read the practical sets of a YAML (.yaml/.yml) or JSON (.json) file.

    Never raises on bad input: unreadable files, syntax errors and every rule broken become
    problems. A set with any problem yields no record.
    """
    path = Path(path)
    file = display_name or path.name
    try:
        reading_limits.check_file_size(path, display=file)
        data = path.read_bytes()
    except reading_limits.LimitExceeded as exc:
        return Parsed(problems=[reading_limits.as_problem(exc)])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Parsed(
            problems=[
                Problem(Location(file), "file", "problem.unreadable_file", {"reason": reason})
            ]
        )
    text = _decode(data)
    if text is None:
        return Parsed(problems=[Problem(Location(file), "file", "problem.unknown_encoding")])
    document, syntax_problem = _load(text, path.suffix.lower() == ".json", file)
    if syntax_problem is not None:
        return Parsed(problems=[syntax_problem])
    return _FormReader(file).read(document)


class _FormReader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = ProblemList()
        self.codes: dict[str, Location] = {}

    def problem(
        self, line: int | None, path: str, field_name: str, key: str, /, **params: object
    ) -> None:
        self.problems.append(
            Problem(Location(self.file, row=line), field_name, key, {"path": path or "/"} | params)
        )

    # -- structure --------------------------------------------------------------------------

    def read(self, document: Any) -> Parsed[PracticalSetRecord]:
        records: list[PracticalSetRecord] = []
        for mapping, path in self._set_mappings(document):
            record = self._read_set(mapping, path)
            if record is not None:
                records.append(record)
        if self.problems:
            return Parsed(records=[], problems=self.problems)
        return Parsed(records=records, problems=[])

    def _set_mappings(self, document: Any) -> Iterator[tuple[_Map, str]]:
        if document is None:
            self.problem(None, "", "set", "problem.missing")
            return
        if not isinstance(document, _Map):
            self.problem(1, "", "set", "problem.expected_mapping")
            return
        if "sets" not in document.entries:
            yield document, ""
            return
        self._check_keys(document, ("sets",), "", "file")
        sets = document.entries["sets"]
        line = document.line_of("sets")
        if not isinstance(sets, list):
            self.problem(line, "sets", "set", "problem.expected_list")
            return
        if not sets:
            self.problem(line, "sets", "set", "problem.missing")
        for index, value in enumerate(sets):
            if isinstance(value, _Map):
                yield value, _join("sets", index)
            else:
                self.problem(
                    _item_line(sets, index, line),
                    _join("sets", index),
                    "set",
                    "problem.expected_mapping",
                )

    def _check_keys(
        self, mapping: _Map, allowed: tuple[str, ...], path: str, field_name: str
    ) -> None:
        for key, line in mapping.duplicates:
            self.problem(line, _join(path, key), field_name, "problem.duplicate_key", key=key)
        for key in mapping.entries:
            if key not in allowed:
                self.problem(
                    mapping.line_of(key),
                    _join(path, key),
                    field_name,
                    "problem.unknown_key",
                    key=key,
                    allowed=", ".join(allowed),
                )

    def _list(
        self, mapping: _Map, key: str, path: str, *, required: bool
    ) -> list[tuple[_Map, str]]:
        """The mappings of list `key`; problems for a missing list or non-mapping entries."""
        value = mapping.entries.get(key)
        line = mapping.line_of(key)
        if value is None or value == []:
            if required:
                if key == "tasks":
                    self.problem(mapping.line, _join(path, key), "tasks", "problem.no_tasks")
                else:
                    self.problem(mapping.line, _join(path, key), _FIELD[key], "problem.missing")
            return []
        if not isinstance(value, list):
            self.problem(line, _join(path, key), _FIELD[key], "problem.expected_list")
            return []
        result = []
        for index, entry in enumerate(value):
            entry_path = _join(_join(path, key), index)
            if isinstance(entry, _Map):
                result.append((entry, entry_path))
            else:
                self.problem(
                    _item_line(value, index, line),
                    entry_path,
                    _FIELD[key],
                    "problem.expected_mapping",
                )
        return result

    # -- values -----------------------------------------------------------------------------

    def _text(
        self, mapping: _Map, key: str, path: str, *, required: bool = False, multiline: bool = False
    ) -> str:
        value = mapping.entries.get(key)
        where = _join(path, key)
        if multiline and isinstance(value, list) and all(_is_scalar_text(v) for v in value):
            value = "\n".join(clean_text(v) for v in value)
        if value is not None and not _is_scalar_text(value):
            self.problem(mapping.line_of(key), where, _FIELD[key], "problem.expected_text")
            return ""
        text = clean_lines(value) if multiline else clean_text(value)
        if required and not text:
            self.problem(mapping.line_of(key), where, _FIELD[key], "problem.missing")
        return text

    def _score(self, mapping: _Map, key: str, path: str, *, positive: bool) -> float | None:
        value = mapping.entries.get(key)
        where = _join(path, key)
        line = mapping.line_of(key)
        number: float | None
        try:
            if isinstance(value, bool) or not _is_scalar_text(value):
                raise ValueError(value)
            number = float(value) if isinstance(value, int | float) else parse_number(value)
        except (ValueError, OverflowError):
            self.problem(line, where, _FIELD[key], "problem.bad_number", value=_show(value))
            return None
        if number is None:
            self.problem(line, where, _FIELD[key], "problem.missing")
            return None
        if not math.isfinite(number):
            self.problem(line, where, _FIELD[key], "problem.bad_number", value=_show(value))
            return None
        if positive and number <= 0:
            self.problem(
                line, where, _FIELD[key], "problem.not_positive", value=format_score(number)
            )
            return None
        if number < 0:
            self.problem(line, where, _FIELD[key], "problem.negative", value=format_score(number))
            return None
        return number

    def _minutes(self, mapping: _Map, key: str, path: str) -> int | None:
        value = mapping.entries.get(key)
        try:
            if isinstance(value, bool) or not _is_scalar_text(value):
                raise ValueError(value)
            return parse_minutes(value)
        except ValueError:
            self.problem(
                mapping.line_of(key),
                _join(path, key),
                _FIELD[key],
                "problem.bad_minutes",
                value=_show(value),
            )
            return None

    def _veto(self, mapping: _Map, path: str) -> bool:
        value = mapping.entries.get("veto")
        if value is None or isinstance(value, bool):
            return bool(value)
        verdict = parse_judgement(value) if _is_scalar_text(value) else None
        if verdict is None and _is_scalar_text(value) and clean_text(value) in _VETO_MARKS:
            verdict = True  # ★ 否决项: how a paper marks it
        if verdict is None:
            self.problem(
                mapping.line_of("veto"),
                _join(path, "veto"),
                "veto",
                "problem.expected_bool",
                value=_show(value),
            )
            return False
        return verdict

    # -- records ----------------------------------------------------------------------------

    def _read_set(self, mapping: _Map, path: str) -> PracticalSetRecord | None:
        before = len(self.problems)
        self._check_keys(mapping, SET_KEYS, path, "set")
        code = self._text(mapping, "code", path, required=True)
        if code in self.codes:
            self.problem(
                mapping.line_of("code"),
                _join(path, "code"),
                "code",
                "problem.duplicate_code",
                code=code,
                first=self.codes[code].describe(),
            )
        elif code:
            self.codes[code] = Location(self.file, row=mapping.line_of("code"))
        title = self._text(mapping, "title", path, required=True)
        total_minutes = self._minutes(mapping, "total_minutes", path)
        author = self._text(mapping, "author", path)
        venue = self._prep(mapping, "venue_prep", path)
        candidate = self._prep(mapping, "candidate_prep", path)
        tasks: list[PracticalTask] = []
        task_scores: list[float | None] = []
        first_number: dict[str, int | None] = {}
        for task_map, task_path in self._list(mapping, "tasks", path, required=True):
            task, score = self._read_task(task_map, task_path)
            task_scores.append(score)
            if task is not None:
                tasks.append(task)
                if task.number in first_number:
                    first = Location(self.file, row=first_number[task.number]).describe()
                    self.problem(
                        task_map.line_of("number"),
                        _join(task_path, "number"),
                        "number",
                        "problem.duplicate_number",
                        number=task.number,
                        first=first,
                    )
                else:
                    first_number[task.number] = task_map.line_of("number")
        known = [s for s in task_scores if s is not None]
        if known and len(known) == len(task_scores):
            problem = set_total_problem(
                known, code, Location(self.file, row=mapping.line), path=_join(path, "tasks")
            )
            if problem is not None:
                self.problems.append(problem)
        if len(self.problems) > before:
            return None
        return PracticalSetRecord(
            code=code,
            title=title,
            location=Location(self.file, row=mapping.line),
            venue_prep=tuple(venue),
            candidate_prep=tuple(candidate),
            tasks=tuple(tasks),
            total_minutes=total_minutes,
            author=author or None,
        )

    def _prep(self, mapping: _Map, key: str, path: str) -> list[PrepRow]:
        rows = []
        for row_map, row_path in self._list(mapping, key, path, required=False):
            self._check_keys(row_map, PREP_KEYS, row_path, "preparation")
            values = {k: self._text(row_map, k, row_path, required=k == "name") for k in PREP_KEYS}
            rows.append(PrepRow(**values))
        return rows

    def _read_task(self, mapping: _Map, path: str) -> tuple[PracticalTask | None, float | None]:
        """The task (None if it has problems) and its score (None if unreadable)."""
        before = len(self.problems)
        self._check_keys(mapping, TASK_KEYS, path, "task")
        number = task_number(self._text(mapping, "number", path, required=True))
        if number and not is_task_number(number):
            self.problem(
                mapping.line_of("number"),
                _join(path, "number"),
                "number",
                "problem.bad_number",
                value=number,
            )
        title = self._text(mapping, "title", path, required=True)
        module = self._text(mapping, "module", path)
        requirements = self._text(mapping, "requirements", path, required=True, multiline=True)
        score = self._score(mapping, "score", path, positive=True)
        minutes = self._minutes(mapping, "time_limit_minutes", path)
        rubric: list[RubricRow] = []
        rubric_scores: list[float | None] = []
        for row_map, row_path in self._list(mapping, "rubric", path, required=True):
            row, row_score = self._read_rubric_row(row_map, row_path)
            rubric_scores.append(row_score)
            if row is not None:
                rubric.append(row)
        known = [s for s in rubric_scores if s is not None]
        if score is not None and known and len(known) == len(rubric_scores):
            problem = rubric_total_problem(
                known,
                score,
                number,
                Location(self.file, row=mapping.line_of("rubric")),
                path=_join(path, "rubric"),
            )
            if problem is not None:
                self.problems.append(problem)
        if len(self.problems) > before or score is None:
            return None, score
        task = PracticalTask(
            number=number,
            title=title,
            requirements=requirements,
            score=score,
            time_limit_minutes=minutes,
            module_code=module or None,
            rubric=tuple(rubric),
        )
        return task, score

    def _read_rubric_row(self, mapping: _Map, path: str) -> tuple[RubricRow | None, float | None]:
        before = len(self.problems)
        self._check_keys(mapping, RUBRIC_KEYS, path, "rubric")
        element = self._text(mapping, "element", path, required=True)
        score = self._score(mapping, "score", path, positive=False)
        criteria = self._text(mapping, "criteria", path, required=True, multiline=True)
        veto = self._veto(mapping, path)
        if len(self.problems) > before or score is None:
            return None, score
        return RubricRow(element=element, score=score, criteria=criteria, veto=veto), score


def _item_line(sequence: list[Any], index: int, default: int | None) -> int | None:
    """The line of a list entry where YAML recorded it, else the line of the list's key."""
    lines = getattr(sequence, "item_lines", ())
    return lines[index] if index < len(lines) else default


def _is_scalar_text(value: object) -> bool:
    """Values a text field accepts: strings and numbers (`quantity: 2`), not lists or dates."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))
