"""Importing a bank's files: each file is read whole first, then stored in one transaction or
not at all. `qbank import tree|items|practical`, the demo and the test fixtures call these."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from qbank.bank import BankSummary, create_bank, ensure_bank, existing_bank, summarize
from qbank.db import lock_bank
from qbank.errors import ImportRejected, InvalidInput
from qbank.field_loss import FieldCheck, FieldLossRejected, check_field_loss
from qbank.gcpause import gc_paused
from qbank.items import ImportSummary, ItemsRejected, import_items
from qbank.linking import DEFAULT_THRESHOLD, CurrentItems, Link, link_records
from qbank.model import Bank
from qbank.overlap import fingerprint_worker
from qbank.practical import PracticalImportSummary, import_practical
from qbank.records import Location, Parsed, PracticalSetRecord, Problem, ProblemList
from qbank.tree import TreeImportSummary, import_tree
from qbank.worker import Spare, large_file
from workflows.types import BankRef, Progress, Transaction


@dataclass(frozen=True)
class TreeImported:
    file: Path
    summary: TreeImportSummary


@dataclass(frozen=True)
class ItemsImported:
    file: Path
    summary: ImportSummary
    records: int
    seconds: float
    """Reading and storing the file, for a rate of items per second."""
    links: list[Link] = field(default_factory=list)
    """Records without 试题编号 taken for edits of stored items (new versions of them)."""
    kept: int = 0
    """Records that took current values for fields they lack (`keep_missing`)."""


@dataclass(frozen=True)
class PracticalImported:
    files: list[tuple[Path, PracticalImportSummary]]


class PracticalRejected(ImportRejected):
    """One or more practical files had problems; none was stored. `parsed` holds each file's
    sets and problems, so that a report can name the rejected files and what they held."""

    def __init__(self, parsed: list[tuple[Path, Parsed[PracticalSetRecord]]]) -> None:
        self.parsed = parsed
        problems = ProblemList()  # bounded, counting what it does not keep
        for _, result in parsed:
            problems.extend(result.problems)
        super().__init__("、".join(f.name for f, r in parsed if r.problems), problems)


def import_tree_file(
    transaction: Transaction,
    bank: BankRef,
    path: Path,
    *,
    actor: str,
    dry_run: bool = False,
    create: bool = False,
) -> TreeImported:
    """Make the tree in `path` the bank's current tree (the bank must exist unless `create`).

    Raises ImportRejected (nothing stored) when the file has problems, InvalidInput when it
    cannot be read.
    """
    from importers.dispatch import read_tree

    parsed = read_tree(path)
    with transaction() as session:
        target = _target(session, bank, actor, create)
        summary = import_tree(
            session,
            target,
            parsed.records,
            source=path.name,
            actor=actor,
            parse_problems=parsed.problems,
            dry_run=dry_run,
        )
    return TreeImported(path, summary)


@gc_paused()  # records and rows live until the import ends: see qbank.gcpause
def import_items_file(
    transaction: Transaction,
    bank: BankRef,
    path: Path,
    *,
    actor: str,
    author: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    create: bool = False,
    link_threshold: float = DEFAULT_THRESHOLD,
    new_items: bool = False,
    keep_missing: bool = False,
    allow_field_loss: bool = False,
) -> ItemsImported:
    """Store the theory items of `path` (a column `mapping` for sheets and Word tables) in
    the bank, which must exist unless `create`.

    Before storing, a record without 试题编号 very close to one stored item becomes its new
    version (`qbank.linking`; undecidable ones are problems unless `new_items`), and a record
    that would drop fields its item has is a problem unless `keep_missing` (keeps them) or
    `allow_field_loss` (`qbank.field_loss`). Raises ItemsRejected (nothing stored; its summary
    lists the problems; FieldLossRejected when fields would be lost) and InvalidInput for a
    file that cannot be read.
    """
    from importers.dispatch import read_items

    started = time.perf_counter()
    # A large file's fingerprint worker starts before the file is read, so it loads the
    # tokenizer and kernels (a second of CPU) while the file is parsed instead of after it.
    early = not dry_run and large_file(path)
    with Spare(fingerprint_worker.start if early else None) as spare:
        parsed = read_items(
            path,
            mapping=dict(mapping) if mapping else None,
            progress=None if progress is None else lambda done, rows: progress("read", done, rows),
        )
        total = len(parsed.records)
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress("store", done, total)

        advance(0)  # the stage starts: its bar's delay counts from here
        with transaction() as session:
            target = _target(session, bank, actor, create)
            lock_bank(session, target.id)  # what the pre-passes look up is what import_items sees
            current = CurrentItems.load(session, target)
            linked = link_records(
                current,
                parsed.records if current.by_guid else [],  # an empty bank: nothing to link to
                threshold=link_threshold,
                new_items=new_items,
            )
            if current.by_guid:
                checked = check_field_loss(
                    current, linked.records, author=author, keep_missing=keep_missing
                )
            else:  # no stored item: no record is an item's new version, so none loses fields
                checked = FieldCheck(parsed.records)
            losses = [] if allow_field_loss else checked.problems
            try:
                summary = import_items(
                    session,
                    target,
                    checked.records,
                    source=path.name,
                    actor=actor,
                    author=author,
                    parse_problems=[*parsed.problems, *linked.problems, *losses],
                    dry_run=dry_run,
                    progress=advance,
                    spare=spare,
                )
            except ItemsRejected as rejected:
                if losses:
                    raise FieldLossRejected(
                        path.name, rejected.summary, losses=len(losses)
                    ) from None
                raise
    seconds = time.perf_counter() - started
    return ItemsImported(path, summary, total, seconds, linked.links, checked.kept)


def import_practical_files(
    transaction: Transaction,
    bank: BankRef,
    paths: Sequence[Path],
    *,
    actor: str,
    author: str | None = None,
    dry_run: bool = False,
    unreadable_as_problem: bool = False,
    create: bool = False,
) -> PracticalImported:
    """Store the practical sets of every file in `paths`, all of them or none.

    Every file is read before anything is stored. A file that cannot be read at all raises
    InvalidInput, or with `unreadable_as_problem` is one problem of that file (for a report
    that covers every file). Raises PracticalRejected when any file has problems.
    """
    parsed = [(p, _read_practical(p, unreadable_as_problem)) for p in paths]
    if any(result.problems for _, result in parsed):
        raise PracticalRejected(parsed)
    stored = []
    with transaction() as session:
        target = _target(session, bank, actor, create)
        for path, result in parsed:
            summary = import_practical(
                session,
                target,
                result.records,
                source=path.name,
                actor=actor,
                author=author,
                dry_run=dry_run,
            )
            stored.append((path, summary))
    return PracticalImported(stored)


def new_bank(transaction: Transaction, bank: BankRef, *, actor: str) -> BankSummary:
    """Create the bank (`qbank bank new`); InvalidInput when it exists or has no name."""
    with transaction() as session:
        return summarize(
            session,
            create_bank(session, bank.occupation, bank.level, name=bank.name or "", actor=actor),
        )


def _target(session: Session, bank: BankRef, actor: str, create: bool) -> Bank:
    """The bank an import stores into: it must exist, or with `create` (scripts) it is made,
    which needs the occupation's name."""
    if not create:
        return existing_bank(session, bank.occupation, bank.level, name=bank.name)
    if not (bank.name or "").strip():
        raise InvalidInput("bank.name_required", occupation=bank.occupation)
    return ensure_bank(session, bank.occupation, bank.level, actor=actor, occupation_name=bank.name)


def _read_practical(path: Path, unreadable_as_problem: bool) -> Parsed[PracticalSetRecord]:
    from importers.dispatch import read_practical

    try:
        return read_practical(path)
    except InvalidInput as error:
        if not unreadable_as_problem:
            raise
        return Parsed(problems=[Problem(Location(path.name), "file", error.key, error.params)])


@dataclass(frozen=True)
class BankFiles:
    """A bank and the files it is built from, named relative to `folder`, in import order."""

    folder: Path
    bank: BankRef
    tree: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    practical: tuple[str, ...] = ()


@dataclass(frozen=True)
class BankImported:
    tree: list[TreeImported]
    items: list[ItemsImported]
    practical: PracticalImported | None
    summary: BankSummary


FileImported = TreeImported | ItemsImported | PracticalImported


def import_bank_files(
    transaction: Transaction,
    files: BankFiles,
    *,
    actor: str,
    on_file: Callable[[FileImported], None] | None = None,
) -> BankImported:
    """Import the tree, then the items, then the practical sets of `files` into their bank,
    which must exist (`new_bank`), each file as its command would, calling `on_file` after
    each; returns the bank's summary at the end."""

    def done(result: FileImported) -> None:
        if on_file is not None:
            on_file(result)

    trees = []
    for name in files.tree:
        trees.append(import_tree_file(transaction, files.bank, files.folder / name, actor=actor))
        done(trees[-1])
    items = []
    for name in files.items:
        items.append(import_items_file(transaction, files.bank, files.folder / name, actor=actor))
        done(items[-1])
    practical = None
    if files.practical:
        paths = [files.folder / name for name in files.practical]
        practical = import_practical_files(transaction, files.bank, paths, actor=actor)
        done(practical)
    with transaction() as session:
        summary = summarize(
            session, existing_bank(session, files.bank.occupation, files.bank.level)
        )
    return BankImported(trees, items, practical, summary)
