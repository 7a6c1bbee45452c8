"""The queries every concept asks: a bank's current items and sets, in one place.

"Current" means the live (not logically deleted) item or set joined to the version its
`current_version_id` points at. Callers extend the returned statements (`.where`,
`.add_columns`, `.outerjoin`, `.order_by`) but never write the join or the deletion filter
themselves, so a deleted item cannot slip into a check, a review or an adjudication.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select, union_all

from qbank.model import Batch, Item, ItemVersion, Paper, PracticalSet, PracticalSetVersion


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
