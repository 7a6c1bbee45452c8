"""integrity: content and signed records are immutable; status lives in reviews; audit hash chain

Revision ID: d4f8b2a6c1e9
Revises: c0a7e1d9b3f2
Create Date: 2026-12-03 08:10:00
"""

from __future__ import annotations

revision = "d4f8b2a6c1e9"
down_revision = "c0a7e1d9b3f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
