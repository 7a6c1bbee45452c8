"""The queries every concept asks: a bank's current items and sets, in one place.

"Current" means the live (not logically deleted) item or set joined to the version its
`current_version_id` points at. Callers extend the returned statements (`.where`,
`.add_columns`, `.outerjoin`, `.order_by`) but never write the join or the deletion filter
themselves, so a deleted item cannot slip into a check, a review or an adjudication.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select

from qbank.model import Item, ItemVersion, PracticalSet, PracticalSetVersion


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
