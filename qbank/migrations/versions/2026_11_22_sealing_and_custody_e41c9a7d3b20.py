"""sealing and custody: sealed papers, age recipients, sealed bundles, custody log

Revision ID: e41c9a7d3b20
Revises: bf7a20271dcb
Create Date: 2026-11-22 09:00:00

A sealed paper's composition leaves the database in the clear (`004` 第二十七条(九): leaking
items is the gravest fault), so `paper_items` rows may now be deleted when a paper is sealed
and written back when the 启封 step opens it; the composition is kept encrypted and committed
to in `papers`. Bundles, custody layouts, entries and checkpoints are append-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e41c9a7d3b20"
down_revision = "bf7a20271dcb"
branch_labels = None
depends_on = None

APPEND_ONLY = ("sealed_bundles", "custody_layouts", "custody_entries", "custody_checkpoints")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="RESTRICT"
    )


def _signed_table(
    name: str, person: str, *columns: sa.Column, unique: tuple[str, ...] = ()
) -> None:
    constraints: list[sa.SchemaItem] = [
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        _fk(name, "batch_id", "batches"),
    ]
    if person:
        constraints.append(_fk(name, person, "people"))
    if unique:
        constraints.append(sa.UniqueConstraint(*unique, name=op.f(f"uq_{name}_{'_'.join(unique)}")))
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *constraints,
    )


def upgrade() -> None:
    op.add_column("people", sa.Column("age_recipient", sa.String(length=100), nullable=True))
    op.add_column("papers", sa.Column("sealed_composition", sa.Text(), nullable=True))
    op.add_column("papers", sa.Column("commitment", sa.String(length=64), nullable=True))
    op.add_column("papers", sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("papers", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))

    _signed_table(
        "sealed_bundles",
        "signer_id",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
    )
    _signed_table(
        "custody_layouts",
        "signer_id",
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        unique=("batch_id",),
    )
    _signed_table(
        "custody_entries",
        "person_id",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        unique=("batch_id", "position"),
    )
    _signed_table(
        "custody_checkpoints",
        "",
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        unique=("batch_id", "size"),
    )
    for table in ("sealed_bundles", "custody_entries", "custody_checkpoints"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_batch_id"), ["batch_id"], unique=False)
    _triggers("create")


def downgrade() -> None:
    _triggers("drop")
    for table in reversed(APPEND_ONLY):
        op.drop_table(table)
    # Plain ALTER TABLE (SQLite ≥ 3.35 has DROP COLUMN): a batch "move and copy" would lose
    # the tables' triggers.
    for table, column in (
        ("papers", "opened_at"),
        ("papers", "sealed_at"),
        ("papers", "commitment"),
        ("papers", "sealed_composition"),
        ("people", "age_recipient"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _triggers(action: str) -> None:
    """Append-only custody records; `paper_items` loses its no-delete trigger (see above)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    new = [(t, e) for t in APPEND_ONLY for e in ("DELETE", "UPDATE")]
    if action == "create":
        _drop_trigger("qbank_no_delete_paper_items", "paper_items", postgres)
        for table, event in new:
            _create_trigger(table, event, postgres)
    else:
        for table, event in new:
            _drop_trigger(f"qbank_no_{event.lower()}_{table}", table, postgres)
        _create_trigger("paper_items", "DELETE", postgres)


def _drop_trigger(name: str, table: str, postgres: bool) -> None:
    op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")


def _create_trigger(table: str, event: str, postgres: bool) -> None:
    name = f"qbank_no_{event.lower()}_{table}"
    if postgres:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION qbank_refuse_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'qbank: {event} of {table} rows is refused (records are kept)'); END"
        )
