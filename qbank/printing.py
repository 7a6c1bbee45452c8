"""Print records: a stored paper as the plain values the document exporters lay out.

The exporters (`exporters.theory_docx`, `exporters.practical_paper_docx`) never read the
database; they take these frozen records. A theory paper's items come out numbered
continuously in blueprint section order, each with its options in the paper's display order
(relabelled A, B, C…) and its answer in those display letters, so the paper, the answer
sheet and the answer key agree by construction.

A sealed paper keeps only its cover in the database; its composition (the layout as
assembled) arrives decrypted from the custody module as `layout=`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.bank import LEVEL_NAMES
from qbank.canonical import content_id
from qbank.content import (
    ContentTampered,
    ItemContent,
    Mismatch,
    filed_versions,
    set_record_of,
    verified_item_content,
    verified_set_content,
)
from qbank.errors import InvalidInput
from qbank.model import (
    Bank,
    Batch,
    Item,
    ItemVersion,
    Occupation,
    Paper,
    PracticalSet,
    PracticalSetVersion,
)
from qbank.queries import bank_filings, item_versions_with_guid, set_versions_with_code
from qbank.records import PracticalSetRecord

__all__ = [
    "PracticalPaperDoc",
    "PrintDoc",
    "PrintRunDoc",
    "PrintedItem",
    "PrintedOption",
    "PrintedSection",
    "TheoryPaperDoc",
    "chinese_ordinal",
    "practical_document",
    "set_record",
    "theory_document",
]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
JUDGEMENT_MARKS = {True: "√", False: "×"}
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class PrintedOption:
    """An option as printed: its display letter and text."""

    letter: str
    text: str


@dataclass(frozen=True)
class PrintedItem:
    """One item as printed: number on the paper, identity, text, answer in display letters.

    `answer` is "√"/"×" for a judgement item and the display letters (e.g. "ACD") of a
    choice item; `explanation` the stored 解析, for the answer key only.
    """

    number: int
    item_id: int
    version: str
    type: str
    stem: str
    options: tuple[PrintedOption, ...]
    answer: str
    explanation: str | None
    score: float


@dataclass(frozen=True)
class PrintedSection:
    """A section (大题): ordinal 一/二/三…, title, type, item numbers `first`…`last`, scores."""

    ordinal: str
    title: str
    type: str
    first: int
    last: int
    score_each: float
    total: float
    items: tuple[PrintedItem, ...]


@dataclass(frozen=True)
class TheoryPaperDoc:
    """A theory paper ready to print. `fingerprint` identifies the printed composition
    (batch, paper code, item ids, versions and option orders) so a key and a paper can be
    matched without showing either."""

    paper_id: int
    batch_code: str
    exam_date: str
    site: str
    paper_code: str
    occupation_code: str
    occupation_name: str
    work_type: str
    level: int
    level_name: str
    title: str
    duration_minutes: int
    total_score: float
    pass_score: float
    sections: tuple[PrintedSection, ...]
    fingerprint: str

    @property
    def items(self) -> tuple[PrintedItem, ...]:
        """Every item in paper order."""
        return tuple(item for section in self.sections for item in section.items)


@dataclass(frozen=True)
class PracticalPaperDoc:
    """A practical paper (one drawn set) ready to print; `work_type` is the 工种 name or ""."""

    paper_id: int
    batch_code: str
    exam_date: str
    site: str
    paper_code: str
    occupation_code: str
    occupation_name: str
    level: int
    level_name: str
    set_code: str
    set_version: str
    record: PracticalSetRecord
    fingerprint: str
    work_type: str = ""


PrintDoc = TheoryPaperDoc | PracticalPaperDoc


@dataclass(frozen=True)
class PrintRunDoc:
    """A batch's papers ready for the print run: the batch's cover values (for the print
    list) and each paper's record, theory papers first, by code. `created` is the batch's
    creation time, which the exporter stamps into every file so that the bytes are stable."""

    batch_id: int
    batch_code: str
    occupation_code: str
    occupation_name: str
    level: int
    level_name: str
    exam_date: str
    site: str
    created: datetime
    papers: tuple[PrintDoc, ...]


def chinese_ordinal(n: int) -> str:
    """一, 二, … 十, 十一, … 九十九: the ordinal of a section (大题)."""
    if not 1 <= n <= 99:
        raise ValueError(f"section ordinal out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class _Heading:
    """What every printed paper of a batch says about where it belongs."""

    batch_code: str
    exam_date: str
    site: str
    occupation_code: str
    occupation_name: str
    work_type: str
    level: int
    level_name: str


def _composition(paper: Paper, layout: dict[str, Any] | None) -> dict[str, Any]:
    """The paper's clear layout: `layout` when given, else the stored one unless sealed."""
    if layout is not None:
        return layout
    if paper.sealed_at is not None and paper.opened_at is None:
        raise InvalidInput("print.paper_sealed", code=paper.code)
    return paper.layout


def _check_kind(paper: Paper, kind: str) -> None:
    if paper.kind != kind:
        raise InvalidInput(f"print.not_{kind}", code=paper.code)


def _heading(session: Session, paper: Paper) -> _Heading:
    """Batch, occupation (and 工种) and level of `paper`.

    A 工种 has a five-part code (`6-18-01-01-02`); its occupation is the four-part code,
    named from that occupation's row when the database has one.
    """
    batch = session.get(Batch, paper.batch_id)
    assert batch is not None, "a paper belongs to a batch"
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None, "a batch belongs to a bank"
    occupation = bank.occupation
    occupation_name, work_type = occupation.name, ""
    parts = occupation.code.split("-")
    if len(parts) == 5:
        parent = session.scalar(
            select(Occupation.name).where(Occupation.code == "-".join(parts[:4]))
        )
        if parent is not None:
            occupation_name, work_type = parent, occupation.name
    grade, traditional = LEVEL_NAMES[bank.level]
    return _Heading(
        batch_code=batch.code,
        exam_date=batch.exam_date.isoformat(),
        site=batch.site,
        occupation_code=occupation.code,
        occupation_name=occupation_name,
        work_type=work_type,
        level=bank.level,
        level_name=f"{grade}/{traditional}",
    )


def _versions(
    session: Session, paper: Paper, pairs: list[tuple[int, str]]
) -> dict[int, ItemContent]:
    """The verified content of the item versions a layout names, by item id.

    Every one must exist (InvalidInput) and re-hash to its id (ContentTampered); a pair that
    a filing of the paper's bank lists but no row carries any more is a row whose id was
    rewritten (ContentTampered), not a missing version.
    """
    rows = session.execute(
        item_versions_with_guid().where(tuple_(ItemVersion.item_id, ItemVersion.sha256).in_(pairs))
    )
    found = {(v.item_id, v.sha256): (v, guid) for v, guid in rows}
    for item_id, sha in pairs:
        if (item_id, sha) not in found:
            guid = session.scalar(select(Item.guid).where(Item.id == item_id))
            _refuse_if_filed(session, paper, "item", item_id, guid or f"#{item_id}", sha)
            raise InvalidInput("print.version_missing", code=paper.code, item=item_id, version=sha)
    return {
        item_id: verified_item_content(
            found[(item_id, sha)][0], guid=found[(item_id, sha)][1], consequence="print"
        )
        for item_id, sha in pairs
    }


def _refuse_if_filed(
    session: Session, paper: Paper, kind: str, key: int | str, subject: str, sha: object
) -> None:
    """ContentTampered when a filing of the paper's bank lists the missing version `sha` of
    item `key` (kind "item") or set `key` (kind "set"): its row's id was rewritten."""
    batch = session.get(Batch, paper.batch_id)
    assert batch is not None, "a paper belongs to a batch"
    for _, manifest, manifest_sha in session.execute(bank_filings(batch.bank_id)):
        items, sets = filed_versions(manifest, manifest_sha)
        listed = items.get(int(key)) if kind == "item" else sets.get(str(key))
        if listed is not None and listed == sha:
            raise ContentTampered(
                kind=kind,
                subject=subject,
                version=str(sha),
                mismatch=Mismatch("content.gone"),
                consequence="print",
            )


def _display(
    version: ItemContent, order: Sequence[str] | None
) -> tuple[tuple[PrintedOption, ...], str]:
    """Options relabelled in display order, and the answer in display letters (or √/×)."""
    answer = version.answer
    if isinstance(answer, bool):
        return (), JUDGEMENT_MARKS[answer]
    original = list(order) if order else sorted(version.options)
    if sorted(original) != sorted(version.options):
        raise ValueError(
            f"option order {original} does not list the options of item {version.item_id}"
        )
    relabel = {letter: LETTERS[i] for i, letter in enumerate(original)}
    options = tuple(PrintedOption(relabel[o], version.options[o]) for o in original)
    return options, "".join(sorted(relabel[letter] for letter in answer))


def theory_document(
    session: Session, paper: Paper, *, layout: dict[str, Any] | None = None
) -> TheoryPaperDoc:
    """The print record of theory paper `paper` (reads the database, writes nothing).

    `layout` replaces `paper.layout` (a sealed paper's decrypted composition). Raises
    InvalidInput for a practical paper, a sealed paper without `layout`, or a layout naming
    an item version the database does not hold; ContentTampered for a version whose stored
    content does not re-hash to its id (what is printed is that verified content).
    """
    _check_kind(paper, "theory")
    composition = PaperLayout.from_json(_composition(paper, layout))
    blueprint = paper.blueprint["blueprint"]
    versions = _versions(
        session, paper, list(zip(composition.items, composition.versions, strict=True))
    )
    sections: list[PrintedSection] = []
    number = 0
    for index, section in enumerate(composition.sections, start=1):
        score = float(section.score)
        items = []
        for item_id in section.items:
            number += 1
            version = versions[item_id]
            options, answer = _display(version, composition.option_order(item_id))
            items.append(
                PrintedItem(
                    number=number,
                    item_id=item_id,
                    version=version.version,
                    type=version.type,
                    stem=version.stem,
                    options=options,
                    answer=answer,
                    explanation=version.explanation,
                    score=score,
                )
            )
        sections.append(
            PrintedSection(
                ordinal=chinese_ordinal(index),
                title=section.title,
                type=section.type,
                first=number - len(items) + 1,
                last=number,
                score_each=score,
                total=score * len(items),
                items=tuple(items),
            )
        )
    head = _heading(session, paper)
    shown = [
        [i.item_id, i.version, list(composition.option_order(i.item_id) or ())]
        for s in sections
        for i in s.items
    ]
    fingerprint = content_id({"batch": head.batch_code, "paper": paper.code, "items": shown})
    return TheoryPaperDoc(
        paper_id=paper.id,
        batch_code=head.batch_code,
        exam_date=head.exam_date,
        site=head.site,
        paper_code=paper.code,
        occupation_code=head.occupation_code,
        occupation_name=head.occupation_name,
        work_type=head.work_type,
        level=head.level,
        level_name=head.level_name,
        title=blueprint["title"],
        duration_minutes=int(blueprint["duration_minutes"]),
        total_score=float(
            blueprint["total_score"] if composition.score is None else composition.score
        ),
        pass_score=float(blueprint["pass_score"]),
        sections=tuple(sections),
        fingerprint=fingerprint,
    )


def _set_version(
    session: Session, paper: Paper, composition: PracticalLayout, overridden: bool
) -> tuple[PracticalSetVersion, str]:
    """The drawn set version (tasks, rubric and preparation rows loaded) and its set's code:
    the paper's row, or (for a supplied layout) by its SHA-256."""
    stmt = set_versions_with_code()
    if not overridden and paper.set_version_id is not None:
        stmt = stmt.where(PracticalSetVersion.id == paper.set_version_id)
    else:
        batch = session.get(Batch, paper.batch_id)
        assert batch is not None, "a paper belongs to a batch"
        stmt = stmt.where(
            PracticalSet.bank_id == batch.bank_id,
            PracticalSet.code == composition.set,
            PracticalSetVersion.sha256 == composition.version,
        )
    row = session.execute(stmt).first()
    if row is None:
        code = composition.set
        _refuse_if_filed(session, paper, "set", code, code, composition.version)
        raise InvalidInput(
            "print.set_missing",
            code=paper.code,
            set=composition.set,
            version=composition.version,
        )
    version, code = row
    if composition.version != version.sha256:
        raise ContentTampered(
            kind="set",
            subject=code,
            version=version.sha256,
            mismatch=Mismatch("content.paper", composition.version),
            consequence="print",
        )
    return version, code


def set_record(
    version: PracticalSetVersion, *, code: str | None = None, consequence: str = "print"
) -> PracticalSetRecord:
    """A stored practical set version as the record an importer would have produced, built
    from its verified content (ContentTampered when the row does not re-hash to its id, or a
    loaded task, rubric or preparation row differs from it)."""
    content = verified_set_content(version, code=code, consequence=consequence)
    return set_record_of(content, version.sha256)


def practical_document(
    session: Session, paper: Paper, *, layout: dict[str, Any] | None = None
) -> PracticalPaperDoc:
    """The print record of practical paper `paper` (reads the database, writes nothing).

    `layout` ({"set": code, "version": sha256}) replaces `paper.layout` (a sealed paper's
    decrypted composition). Raises InvalidInput for a theory paper, a sealed paper without
    `layout`, or a set version the bank does not hold; ContentTampered for a set version whose
    stored content (or any of its task, rubric or preparation rows) is not what its id names.
    """
    _check_kind(paper, "practical")
    composition = PracticalLayout.from_json(_composition(paper, layout))
    version, code = _set_version(session, paper, composition, overridden=layout is not None)
    record = set_record(version, code=code)
    head = _heading(session, paper)
    return PracticalPaperDoc(
        paper_id=paper.id,
        batch_code=head.batch_code,
        exam_date=head.exam_date,
        site=head.site,
        paper_code=paper.code,
        occupation_code=head.occupation_code,
        occupation_name=head.occupation_name,
        level=head.level,
        level_name=head.level_name,
        set_code=record.code,
        set_version=version.sha256,
        record=record,
        fingerprint=content_id(
            {
                "batch": head.batch_code,
                "paper": paper.code,
                "set": record.code,
                "version": version.sha256,
            }
        ),
        work_type=head.work_type,
    )
