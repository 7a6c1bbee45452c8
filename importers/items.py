"""Turn the raw fields of one theory item, as any layout yields them, into a validated record.

Layout-specific readers (Word blocks, spreadsheet rows) collect text into a `RawItem`; this
module applies the rules every layout shares, so a judgement answer or an answer outside the
options is reported the same way whatever the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from formats.item_layout import OPTION_LETTERS
from qbank.records import Answer, ItemRecord, ItemType, Location, Problem
from qbank.text import scripts
from qbank.text.normalize import (
    canonical_knowledge_code,
    clean_text,
    normalize_stem,
    parse_answer,
    parse_difficulty,
    parse_importance,
    parse_item_type,
    parse_number,
)

MIN_CHOICE_OPTIONS = 2


@dataclass
class RawItem:
    """Text of one item as found in a file, before any interpretation."""

    location: Location
    type: str | ItemType | None = None
    stem: str = ""
    options: dict[str, str] = field(default_factory=dict)
    answer: str = ""
    number: str | None = None
    guid: str | None = None
    knowledge_code: str | None = None
    knowledge_path: list[str] = field(default_factory=list)
    importance: str | None = None
    difficulty: str | None = None
    discrimination: str | None = None
    score: str | None = None
    explanation: str | None = None
    source: str | None = None
    author: str | None = None


def build_item(raw: RawItem) -> tuple[ItemRecord | None, list[Problem]]:
    """Validate `raw` and return the record, or None and every problem found in it."""
    problems: list[Problem] = []
    loc = raw.location

    def problem(field_name: str, key: str, /, **params: object) -> None:
        problems.append(Problem(loc, field_name, key, dict(params)))

    item_type = raw.type if isinstance(raw.type, ItemType) else parse_item_type(raw.type)
    if item_type is None:
        if clean_text(raw.type):
            problem("type", "problem.unknown_type", value=clean_text(raw.type))
        else:
            problem("type", "problem.missing")

    stem = normalize_stem(clean_text(raw.stem), item_type)
    if not stem:
        problem("stem", "problem.missing")
    unclosed = scripts.check(stem)
    if unclosed is not None:
        problem("stem", "problem.bad_script_markup", letter="", text=unclosed)

    options: dict[str, str] = {}
    for letter, text in raw.options.items():
        key = clean_text(letter).upper()
        value = clean_text(text)
        if not value:
            continue
        if key in options:
            problem("options", "problem.duplicate_option", letter=key)
        unclosed = scripts.check(value)
        if unclosed is not None:
            problem("options", "problem.bad_script_markup", letter=f" {key} ", text=unclosed)
        options[key] = value
    options = dict(sorted(options.items()))

    answer_text = clean_text(raw.answer)
    answer = None
    if item_type is not None:
        if not answer_text:
            problem("answer", "problem.missing")
        else:
            answer = parse_answer(answer_text, item_type)
            _check_answer(item_type, answer, answer_text, options, problem)

    knowledge_code = None
    if clean_text(raw.knowledge_code):
        knowledge_code = canonical_knowledge_code(raw.knowledge_code)
        if knowledge_code is None:
            problem(
                "knowledge_point",
                "problem.bad_knowledge_code",
                value=clean_text(raw.knowledge_code),
            )

    importance = None
    try:
        importance = parse_importance(raw.importance)
    except ValueError:
        problem("importance", "problem.bad_importance", value=clean_text(raw.importance))

    difficulty = None
    try:
        difficulty = parse_difficulty(raw.difficulty)
    except ValueError:
        problem("difficulty", "problem.bad_difficulty", value=clean_text(raw.difficulty))

    explanation = clean_text(raw.explanation)
    unclosed = scripts.check(explanation)
    if unclosed is not None:
        problem("explanation", "problem.bad_script_markup", letter="", text=unclosed)

    numbers: dict[str, float | None] = {}
    for name in ("score", "discrimination"):
        try:
            numbers[name] = parse_number(getattr(raw, name))
        except ValueError:
            problem(name, "problem.bad_number", value=clean_text(getattr(raw, name)))

    if problems or item_type is None or answer is None:
        return None, problems
    record = ItemRecord(
        type=item_type,
        stem=stem,
        answer=answer,
        location=loc,
        options=options if item_type is not ItemType.JUDGEMENT else {},
        number=clean_text(raw.number) or None,
        guid=clean_text(raw.guid) or None,
        knowledge_code=knowledge_code,
        knowledge_path=tuple(p for p in (clean_text(x) for x in raw.knowledge_path) if p),
        importance=importance,
        difficulty=difficulty,
        discrimination=numbers.get("discrimination"),
        score=numbers.get("score"),
        explanation=explanation or None,
        source=clean_text(raw.source) or None,
        author=clean_text(raw.author) or None,
    )
    return record, []


class _Report(Protocol):
    def __call__(self, field_name: str, key: str, /, **params: object) -> None: ...


def _check_answer(
    item_type: ItemType,
    answer: Answer | None,
    answer_text: str,
    options: dict[str, str],
    problem: _Report,
) -> None:
    if item_type is ItemType.JUDGEMENT:
        if answer is None:
            problem("answer", "problem.judgement_answer", value=answer_text)
        if options:
            problem("options", "problem.judgement_has_options")
        return
    if len(options) < MIN_CHOICE_OPTIONS:
        problem(
            "options", "problem.too_few_options", minimum=MIN_CHOICE_OPTIONS, count=len(options)
        )
    letters = "".join(options)
    expected = OPTION_LETTERS[: len(options)]
    if options and letters != expected:
        missing = "".join(sorted(set(expected) - set(letters)))
        problem("options", "problem.option_gap", letters=letters, missing=missing or "-")
    if not isinstance(answer, str):  # a choice answer is letters, or None when unreadable
        problem("answer", "problem.unparseable_answer", value=answer_text)
        return
    outside = [a for a in answer if a not in options]
    if outside and options:
        problem("answer", "problem.answer_not_in_options", answer=answer, options=letters)
    if item_type is ItemType.SINGLE and len(answer) > 1:
        problem("answer", "problem.single_several_answers", answer=answer)
    if item_type is ItemType.MULTIPLE and len(answer) < 2:
        problem("answer", "problem.multiple_one_answer", answer=answer)


def check_duplicate_numbers(records: list[ItemRecord], scope: str | None = None) -> list[Problem]:
    """One problem per item whose number repeats an earlier one in the same scope.

    Word banks restart numbering per section, so their callers pass the section as `scope`.
    With no scope, the numbering style is inferred: when the numbers of different item types
    mostly overlap, each type is numbered from 1 (scope = type); otherwise the whole list is
    numbered continuously and any repeat is a problem.
    """
    if scope is None:
        scope = "" if _numbered_continuously(records) else None
    seen: dict[tuple[str, str], Location] = {}
    problems = []
    for record in records:
        if not record.number:
            continue
        key = (record.type.value if scope is None else scope, record.number)
        if key in seen:
            problems.append(
                Problem(
                    record.location,
                    "number",
                    "problem.duplicate_number",
                    {"number": record.number, "first": seen[key].describe()},
                )
            )
        else:
            seen[key] = record.location
    return problems


def _numbered_continuously(records: list[ItemRecord]) -> bool:
    numbers: dict[ItemType, set[str]] = {}
    for record in records:
        if record.number:
            numbers.setdefault(record.type, set()).add(record.number)
    groups = sorted(numbers.values(), key=len)
    if len(groups) < 2:
        return True
    shared = sum(len(groups[0] & other) for other in groups[1:])
    return shared * 2 < len(groups[0])
