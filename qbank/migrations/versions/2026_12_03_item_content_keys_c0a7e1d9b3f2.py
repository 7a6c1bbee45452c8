"""item content keys: one item per (bank, content key); imports serialise per bank

Revision ID: c0a7e1d9b3f2
Revises: e41c9a7d3b20
Create Date: 2026-12-03 08:10:00

`item_content_keys` holds the content key of every live item's current version, unique per
bank, so the database refuses a second item with the same type, stem and options in a bank
(two imports of one file at once used to store every item twice). The backfill keeps the
oldest item of each key; a database that already holds duplicates is not refused: each
later duplicate stays as it is, without a key row, and the migration records it in the
audit trail (action `duplicate_content`, naming the item it duplicates) for a person to
resolve.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "c0a7e1d9b3f2"
down_revision = "e41c9a7d3b20"
branch_labels = None
depends_on = None

CHUNK = 5000
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table(
        "item_content_keys",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_item_content_keys_bank_id_banks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_content_keys_item_id_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_content_keys")),
        sa.UniqueConstraint(
            "bank_id", "content_key", name=op.f("uq_item_content_keys_bank_id_content_key")
        ),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text(
            "SELECT i.id, i.bank_id, v.content_key, i.guid FROM items i "
            "JOIN item_versions v ON v.id = i.current_version_id "
            "WHERE i.deleted_at IS NULL ORDER BY i.bank_id, i.id"
        )
    ).all()
    keys = sa.table(
        "item_content_keys",
        sa.column("item_id", sa.Integer),
        sa.column("bank_id", sa.Integer),
        sa.column("content_key", sa.String),
    )
    owner: dict[tuple[int, str], tuple[int, str]] = {}
    fresh: list[dict[str, object]] = []
    duplicates: list[dict[str, object]] = []
    now = datetime.now(UTC)
    for item_id, bank_id, key, guid in rows:
        first = owner.get((bank_id, key))
        if first is None:
            owner[(bank_id, key)] = (item_id, guid)
            fresh.append({"item_id": item_id, "bank_id": bank_id, "content_key": key})
            continue
        duplicates.append(
            {
                "at": now,
                "actor": "qbank",
                "action": "duplicate_content",
                "entity": "item",
                "entity_id": str(item_id),
                "bank_id": bank_id,
                "detail": {
                    "migration": revision,
                    "guid": guid,
                    "same_as": first[0],
                    "same_as_guid": first[1],
                    "content_key": key,
                },
            }
        )
    for start in range(0, len(fresh), CHUNK):
        conn.execute(keys.insert(), fresh[start : start + CHUNK])
    if duplicates:
        events = sa.table(
            "audit_events",
            sa.column("at", sa.DateTime(timezone=True)),
            sa.column("actor", sa.String),
            sa.column("action", sa.String),
            sa.column("entity", sa.String),
            sa.column("entity_id", sa.String),
            sa.column("bank_id", sa.Integer),
            sa.column("detail", sa.JSON),
        )
        conn.execute(events.insert(), duplicates)
        log.warning(
            "%d item(s) repeat the content of an earlier item of their bank; they are kept "
            "without a content key and listed in the audit trail (action duplicate_content)",
            len(duplicates),
        )


def downgrade() -> None:
    op.drop_table("item_content_keys")
