"""What a bank's latest filing offers assembly, read without the filing machinery.

`qbank.filing` (filing a bank) imports the compliance checks and with them the overlap
engine; assembly only reads a filing, so it reads here: the item versions as plain rows
(`_item_rows`: the columns the re-hash reads and nothing else, no ORM objects), each re-hashed
to its id through `qbank.content.verified_item_content` and checked against the filing's
manifest, exactly as `qbank.filing.filed_item_contents` does; and the practical sets
(`filed_sets`, the only reader of a filing's sets: filing's pages and tests use it too).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, Text, select, type_coerce
from sqlalchemy.orm import Session

from qbank.content import (
    ContentTampered,
    ItemContent,
    Mismatch,
    filed_versions,
    verified_item_content,
    verified_set_content,
)
from qbank.item_rows import JSON_COLUMNS, decoded_item_rows
from qbank.model import Bank, FilingEntry, Item, ItemVersion, PracticalSetVersion
from qbank.queries import ITEM_CONTENT_COLUMNS, filing_sets, latest_filing


class FiledItem(NamedTuple):
    """A filed item version: its row id and its verified content."""

    row_id: int
    content: ItemContent


def _item_rows(filing_id: int) -> Select[Any]:
    """`qbank.queries.filing_items` as plain rows: the version's id, then the columns of
    `qbank.item_rows.ItemRow` (the item's guid and `ITEM_CONTENT_COLUMNS`, what a re-hash
    reads: not the creation time, whose parsing alone cost more than the hash), JSON columns
    as their text where the driver gives text (decoded by `qbank.json_column`)."""
    columns = [
        type_coerce(c, Text).label(c.name) if c.name in JSON_COLUMNS else c
        for c in ITEM_CONTENT_COLUMNS
    ]
    return (
        select(ItemVersion.id, Item.guid, *columns)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(FilingEntry, FilingEntry.item_version_id == ItemVersion.id)
        .where(FilingEntry.filing_id == filing_id)
        .order_by(ItemVersion.item_id)
    )


def filed_items(session: Session, bank: Bank, *, consequence: str = "assemble") -> list[FiledItem]:
    """The item versions of the bank's latest filing, in item id order, each with its
    verified content (`qbank.filing.filed_item_contents` without ORM objects).

    Raises ContentTampered (with `consequence`, see `qbank.content.CONSEQUENCES`) when a
    version does not re-hash to its id or is not the version the manifest lists for its item.
    """
    latest = session.execute(latest_filing(bank.id)).first()
    if latest is None:
        return []
    listed, _sets = filed_versions(latest.manifest, latest.manifest_sha256)
    out = []
    found = session.connection().execute(_item_rows(latest.id)).all()
    for (version_id, *_), row in zip(found, decoded_item_rows(r[1:] for r in found), strict=True):
        content = verified_item_content(row, guid=row.guid, consequence=consequence)
        if listed.get(row.item_id) != row.sha256:
            raise ContentTampered(
                kind="item",
                subject=str(row.guid),
                version=row.sha256,
                mismatch=Mismatch("content.not_filed", listed.get(row.item_id, "-")),
                consequence=consequence,
            )
        out.append(FiledItem(version_id, content))
    return out


def filed_sets(
    session: Session, bank: Bank, *, consequence: str = "assemble"
) -> list[tuple[str, PracticalSetVersion]]:
    """(code, version) of the practical sets of the bank's latest filing, each verified (child
    rows included) and checked against the manifest."""
    latest = session.execute(latest_filing(bank.id)).first()
    if latest is None:
        return []
    _items, listed = filed_versions(latest.manifest, latest.manifest_sha256)
    out = []
    for version, code in session.execute(filing_sets(latest.id)):
        verified_set_content(version, code=code, consequence=consequence)
        if listed.get(code) != version.sha256:
            raise ContentTampered(
                kind="set",
                subject=code,
                version=version.sha256,
                mismatch=Mismatch("content.not_filed", listed.get(code, "-")),
                consequence=consequence,
            )
        out.append((code, version))
    return out
