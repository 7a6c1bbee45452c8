"""audit event items: an import's item changes as rows under one chained event per batch;
two unused item_versions indexes dropped

Revision ID: 9d2f4b7c1a36
Revises: 7b3e9c2d5a18
Create Date: 2026-12-04 21:40:00

An import used to append one hash-chained audit event per item it created, changed or
reverted: at a million items that was a tenth of the import's time (hashing, and five
indexes, two of them random hash keys). Now each batch of an import appends one event
(`import_items`, about the bank) whose detail commits by hash to its rows in
`audit_event_items` (item, action, version, version number), and `qbank item history` reads
both. Events already stored stay as they are. The rows are never updated or deleted.

Two indexes of `item_versions` that no query needs go, so an import writes two B-trees less
per version: `ix_item_versions_item_id` (the unique (item_id, seq) index finds an item's
versions) and `ix_item_versions_content_key` (a random hash key; re-imports look content
keys up in `item_content_keys` since c0a7e1d9b3f2).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9d2f4b7c1a36"
down_revision = "7b3e9c2d5a18"
branch_labels = None
depends_on = None

TABLE = "audit_event_items"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_events.id"],
            name=op.f("fk_audit_event_items_event_id_audit_events"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_audit_event_items_item_id_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("event_id", "position", name=op.f("pk_audit_event_items")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_audit_event_items_item_id"), TABLE, ["item_id"])
    if op.get_bind().dialect.name == "postgresql":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE OR REPLACE TRIGGER qbank_no_{event.lower()}_{TABLE} BEFORE {event} "
                f"ON {TABLE} FOR EACH ROW EXECUTE FUNCTION qbank_refuse_change()"
            )
        op.execute(
            f"CREATE OR REPLACE TRIGGER qbank_no_truncate_{TABLE} BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION qbank_refuse_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS qbank_no_{event.lower()}_{TABLE} BEFORE {event} "
                f"ON {TABLE} BEGIN SELECT RAISE(ABORT, 'qbank: {event} of {TABLE} rows is "
                "refused (records are kept)'); END"
            )
    op.drop_index("ix_item_versions_item_id", table_name="item_versions")
    op.drop_index("ix_item_versions_content_key", table_name="item_versions")


def downgrade() -> None:
    op.create_index("ix_item_versions_content_key", "item_versions", ["content_key"])
    op.create_index("ix_item_versions_item_id", "item_versions", ["item_id"])
    op.drop_table(TABLE)  # its triggers go with it
