"""item_versions' index on knowledge_code dropped: no query finds versions by their point

Revision ID: f2b6d8e4a1c7
Revises: e5c3a9f7b214
Create Date: 2026-12-05 02:30:00

The readers of knowledge_code select it with a bank's current items, which they find through
the items' index on bank_id; the reviewers' queue, the one query that filters on it, is planned
the same way with or without the index (SQLite, a million-item bank: items by bank_id, then
each version by its id). Every version insert paid for it: a million versions inserted in
7.5 s without it against 9.2 s with it (isolated, means of three, 2026-12-05).
"""

from __future__ import annotations

from alembic import op

revision = "f2b6d8e4a1c7"
down_revision = "e5c3a9f7b214"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_item_versions_knowledge_code", table_name="item_versions")


def downgrade() -> None:
    op.create_index(
        "ix_item_versions_knowledge_code", "item_versions", ["knowledge_code"], unique=False
    )
