"""web access: people's password hashes and per-bank access grants for `qbank serve`

Revision ID: 7b3e9c2d5a18
Revises: d4f8b2a6c1e9
Create Date: 2026-12-03 14:00:00

- `people.password_hash`: the scrypt hash (qbank.passwords) a person logs in with when the
  workspace is served beyond loopback; NULL for everyone until `qbank person password`.
- `bank_access`: which person may see which bank's data in the browser. Rows are never
  deleted (a revocation sets `revoked_at`), so DELETE and TRUNCATE are refused as for people.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7b3e9c2d5a18"
down_revision = "d4f8b2a6c1e9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE people ADD COLUMN password_hash VARCHAR(200)")
    op.create_table(
        "bank_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_bank_access_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_bank_access_bank_id_banks"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_access")),
    )
    op.create_index(op.f("ix_bank_access_person_id"), "bank_access", ["person_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE TRIGGER qbank_no_delete_bank_access BEFORE DELETE ON bank_access "
            "FOR EACH ROW EXECUTE FUNCTION qbank_refuse_change()"
        )
        op.execute(
            "CREATE OR REPLACE TRIGGER qbank_no_truncate_bank_access BEFORE TRUNCATE ON bank_access "
            "FOR EACH STATEMENT EXECUTE FUNCTION qbank_refuse_change()"
        )
    else:
        op.execute(
            "CREATE TRIGGER IF NOT EXISTS qbank_no_delete_bank_access BEFORE DELETE ON bank_access "
            "BEGIN SELECT RAISE(ABORT, 'qbank: DELETE of bank_access rows is refused "
            "(records are kept)'); END"
        )


def downgrade() -> None:
    op.drop_table("bank_access")  # its triggers go with it
    # Plain ALTER TABLE: a batch "move and copy" would drop the people table's triggers.
    op.execute("ALTER TABLE people DROP COLUMN password_hash")
