"""item content keys: one item per (bank, content key); imports serialise per bank

Revision ID: c0a7e1d9b3f2
Revises: e41c9a7d3b20
Create Date: 2026-12-03 08:10:00
"""

from __future__ import annotations

revision = "c0a7e1d9b3f2"
down_revision = "e41c9a7d3b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
