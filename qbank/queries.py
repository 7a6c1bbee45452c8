"""The queries every concept asks, in one place: a bank's current items and sets, the
versions of its latest filing, item and set versions with their identity, live people.

"Current" means the live (not logically deleted) item or set joined to the version its
`current_version_id` points at. Callers extend the returned statements (`.where`,
`.add_columns`, `.outerjoin`, `.order_by`, `.with_only_columns`) but never write the join or
the deletion filter themselves, so a deleted item cannot slip into a check, a review or an
adjudication (tests/test_queries.py looks for copies). Only `qbank.integrity` joins on
`current_version_id` by hand: checking those pointers is its job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from qbank.model import (
    Batch,
    Filing,
    FilingEntry,
    Item,
    ItemVersion,
    OverlapReport,
    Paper,
    Person,
    PracticalSet,
    PracticalSetVersion,
    PracticalTaskRow,
)

# A set version's content includes its child rows: load them (`.options(*SET_CONTENT)`)
# wherever a version is re-hashed or shown, or each access would be refused (lazy="raise").
SET_CONTENT: tuple[LoaderOption, ...] = (
    selectinload(PracticalSetVersion.tasks).selectinload(PracticalTaskRow.rubric),
    selectinload(PracticalSetVersion.prep_rows),
)


def item_versions_with_guid() -> Select[ItemVersion, str]:
    """Item versions (any, current or not) with their item's guid, for re-hashing a version
    by the identity its content names; callers narrow it to the versions they need."""
    return select(ItemVersion, Item.guid).join(Item, Item.id == ItemVersion.item_id)


def set_versions_with_code() -> Select[PracticalSetVersion, str]:
    """Practical set versions (any) with their set's code, child rows loaded; as
    `item_versions_with_guid`."""
    return (
        select(PracticalSetVersion, PracticalSet.code)
        .join(PracticalSet, PracticalSet.id == PracticalSetVersion.set_id)
        .options(*SET_CONTENT)
    )


def bank_filings(bank_id: int) -> Select[int, str, str]:
    """(id, manifest, manifest_sha256) of every filing of the bank, newest first."""
    return (
        select(Filing.id, Filing.manifest, Filing.manifest_sha256)
        .where(Filing.bank_id == bank_id)
        .order_by(Filing.id.desc())
    )


def latest_filing(bank_id: int) -> Select[int, str, str]:
    """The bank's latest filing as `bank_filings` gives it: the one assembly draws on."""
    return bank_filings(bank_id).limit(1)


def filing_items(filing_id: int) -> Select[ItemVersion, str]:
    """The item versions a filing holds, with their guids, by item id. Take `filing_id` from
    `latest_filing` in the same transaction, so the entries and the manifest that lists them
    are of one filing."""
    return (
        item_versions_with_guid()
        .join(FilingEntry, FilingEntry.item_version_id == ItemVersion.id)
        .where(FilingEntry.filing_id == filing_id)
        .order_by(ItemVersion.item_id)
    )


def filing_item_rows(filing_id: int) -> Select[Any]:
    """`filing_items` as plain rows: every item version column and the guid, no ORM objects,
    for readers of a whole filing (assembly), where building ten thousand ORM objects costs
    more than the work. A row has the attributes `qbank.content.verified_item_content` reads."""
    return (
        select(*ItemVersion.__table__.c, Item.guid)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(FilingEntry, FilingEntry.item_version_id == ItemVersion.id)
        .where(FilingEntry.filing_id == filing_id)
        .order_by(ItemVersion.item_id)
    )


def filing_sets(filing_id: int) -> Select[PracticalSetVersion, str]:
    """The practical set versions a filing holds, with their codes and child rows, by code."""
    return (
        set_versions_with_code()
        .join(FilingEntry, FilingEntry.set_version_id == PracticalSetVersion.id)
        .where(FilingEntry.filing_id == filing_id)
        .order_by(PracticalSet.code)
    )


def live_people() -> Select[Person]:
    """People not logically deleted: the only ones who may sign, review or receive papers."""
    return select(Person).where(Person.deleted_at.is_(None))


def current_items(
    bank_id: int | None = None,
    *,
    item_ids: Iterable[int] | None = None,
    include_deleted: bool = False,
) -> Select[Item, ItemVersion]:
    """Live items with their current versions; of one bank and/or of the given ids."""
    stmt = select(Item, ItemVersion).join(ItemVersion, Item.current_version_id == ItemVersion.id)
    if not include_deleted:
        stmt = stmt.where(Item.deleted_at.is_(None))
    if bank_id is not None:
        stmt = stmt.where(Item.bank_id == bank_id)
    if item_ids is not None:
        stmt = stmt.where(Item.id.in_(list(item_ids)))
    return stmt


def current_sets(
    bank_id: int | None = None,
    *,
    set_ids: Iterable[int] | None = None,
    include_deleted: bool = False,
) -> Select[PracticalSet, PracticalSetVersion]:
    """Live practical sets with their current versions; of one bank and/or of the given ids."""
    stmt = select(PracticalSet, PracticalSetVersion).join(
        PracticalSetVersion, PracticalSet.current_version_id == PracticalSetVersion.id
    )
    if not include_deleted:
        stmt = stmt.where(PracticalSet.deleted_at.is_(None))
    if bank_id is not None:
        stmt = stmt.where(PracticalSet.bank_id == bank_id)
    if set_ids is not None:
        stmt = stmt.where(PracticalSet.id.in_(list(set_ids)))
    return stmt


def neighbour_batches(batch: Batch, n: int) -> Select[int]:
    """Ids of the bank's `n` batches before `batch` by exam date, and the `n` after it.

    Later batches count too: a batch planned for next month but assembled first must not be
    repeated by this one, or this one would break the cap inside that batch's window.
    """
    others = (Batch.bank_id == batch.bank_id, Batch.id != batch.id)
    before = (
        select(Batch.id)
        .where(*others, Batch.exam_date <= batch.exam_date)
        .order_by(Batch.exam_date.desc(), Batch.id.desc())
        .limit(n)
        .subquery()
    )
    after = (
        select(Batch.id)
        .where(*others, Batch.exam_date > batch.exam_date)
        .order_by(Batch.exam_date, Batch.id)
        .limit(n)
        .subquery()
    )
    return select(union_all(select(before.c.id), select(after.c.id)).subquery().c.id)


def neighbour_papers(batch: Batch, n: int, kind: str) -> Select[Paper]:
    """Papers of `kind` ("theory" | "practical") of `batch` and its neighbouring batches
    (`neighbour_batches`), in id order: what overlap caps and draws are held against."""
    batches = Paper.batch_id.in_(neighbour_batches(batch, n)) | (Paper.batch_id == batch.id)
    return select(Paper).where(batches, Paper.kind == kind).order_by(Paper.id)


def latest_overlap_report(bank_id: int, scope: str) -> Select[int, str]:
    """(id, sha256) of the bank's latest stored overlap report of `scope` ("theory",
    "practical", …): the one its pages show. Load the body by id only when needed."""
    return (
        select(OverlapReport.id, OverlapReport.sha256)
        .where(OverlapReport.bank_id == bank_id, OverlapReport.scope == scope)
        .order_by(OverlapReport.id.desc())
        .limit(1)
    )


def versions_of_items(item_ids: Iterable[int]) -> Select[int, str, bool]:
    """(item id, version id, is current) of every version of the given items, of any time and
    whether or not the item is deleted: what a history (e.g. lapsed adjudications) names."""
    return (
        select(ItemVersion.item_id, ItemVersion.sha256, Item.current_version_id == ItemVersion.id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.item_id.in_(list(item_ids)))
        .order_by(ItemVersion.item_id, ItemVersion.seq)
    )


def filing_summaries(bank_id: int) -> Select[int, datetime, str, str, str]:
    """(id, created_at, created_by, merkle_root, manifest_sha256) of every filing of the bank,
    newest first: `bank_filings` without the manifests, for listing filings cheaply."""
    return (
        select(
            Filing.id,
            Filing.created_at,
            Filing.created_by,
            Filing.merkle_root,
            Filing.manifest_sha256,
        )
        .where(Filing.bank_id == bank_id)
        .order_by(Filing.id.desc())
    )


def current_items_outside_filing(bank_id: int, filing_id: int) -> Select[Item, ItemVersion]:
    """The bank's current items whose current version the filing does not hold (new items
    and new versions since it was filed), as `current_items` gives them."""
    filed = select(FilingEntry.item_version_id).where(
        FilingEntry.filing_id == filing_id, FilingEntry.item_version_id.is_not(None)
    )
    return current_items(bank_id).where(ItemVersion.id.not_in(filed))


ITEM_CONTENT_COLUMNS = (
    ItemVersion.item_id,
    ItemVersion.sha256,
    ItemVersion.canonical,
    ItemVersion.type,
    ItemVersion.stem,
    ItemVersion.options,
    ItemVersion.answer,
    ItemVersion.knowledge_code,
    ItemVersion.knowledge_path,
    ItemVersion.importance,
    ItemVersion.difficulty,
    ItemVersion.discrimination,
    ItemVersion.score,
    ItemVersion.explanation,
    ItemVersion.source,
    ItemVersion.author,
)
"""The columns an item version is re-hashed from (`qbank.content.ItemVersionRow`)."""


def current_item_contents(bank_id: int, *, after: int | None = None) -> Select[Any]:
    """The bank's live items' current versions as plain rows (no ORM objects): the item's
    guid and `ITEM_CONTENT_COLUMNS`, by item id (`after`: only items of a larger id). For
    scopes of many items (overlap checks), re-hashed by `qbank.content` like the ORM rows of
    `current_items`."""
    stmt = current_items(bank_id).with_only_columns(Item.guid, *ITEM_CONTENT_COLUMNS)
    if after is not None:
        stmt = stmt.where(Item.id > after)
    return stmt.order_by(Item.id)
