"""item_versions' index on sha256 dropped: no query finds a version by its id alone

Revision ID: e5c3a9f7b214
Revises: 9d2f4b7c1a36
Create Date: 2026-12-04 23:40:00

Every query that names item versions by their id (SHA-256) also names the item, and finds
them through the unique (item_id, sha256) index; `db verify`'s check of adjudications, the one
reader by id alone, takes the owners of the versions they name from one pass over
item_versions instead. The index was a random hash key: of a million-item import's version
inserts, a fifth of the time (isolated, 2026-12-04: 19.8, 16.0, 19.2, 16.2 s without it against
25.5, 19.8, 23.8 s with it).
"""

from __future__ import annotations

from alembic import op

revision = "e5c3a9f7b214"
down_revision = "9d2f4b7c1a36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_item_versions_sha256", table_name="item_versions")


def downgrade() -> None:
    op.create_index("ix_item_versions_sha256", "item_versions", ["sha256"], unique=False)
