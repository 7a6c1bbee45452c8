"""integrity: content and signed records are immutable; status lives in reviews; audit hash chain

Revision ID: d4f8b2a6c1e9
Revises: c0a7e1d9b3f2
Create Date: 2026-12-03 08:10:00

- Every table whose rows are content or signed records refuses UPDATE and DELETE, by
  triggers, whoever writes: versions and their child rows, knowledge trees, reviews,
  adjudications, filings, overlap reports, bundles, custody records, the audit trail, stored
  tokens and signatures. Items, practical sets and people refuse DELETE (logical only).
- The mutable `status` column of item and practical-set versions goes: a version's status is
  its latest review's decision (`reviews` is append-only), else "draft".
- A sealed paper's row may change only once more, when the 启封 step opens it (sets
  `opened_at` and writes the decrypted layout, seed and drawn set back); an opened paper's
  item rows cannot be deleted; paper item rows cannot be updated.
- The audit trail becomes a hash chain (`qbank.audit.event_hash`), backfilled in id order.

Every protection trigger is (re)created here idempotently, so a SQLite table rebuilt by an
earlier batch migration (which drops its triggers) is protected again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from qbank.audit import GENESIS, event_hash

revision = "d4f8b2a6c1e9"
down_revision = "c0a7e1d9b3f2"
branch_labels = None
depends_on = None

# Tables that refuse UPDATE and DELETE.
IMMUTABLE = (
    "item_versions",
    "practical_set_versions",
    "practical_prep_rows",
    "practical_tasks",
    "practical_rubric_rows",
    "tree_versions",
    "knowledge_nodes",
    "reviews",
    "adjudications",
    "filings",
    "filing_entries",
    "overlap_reports",
    "sealed_bundles",
    "custody_layouts",
    "custody_entries",
    "custody_checkpoints",
    "audit_events",
    "tokenizers",
    "token_sets",
    "minhash_signatures",
)
# Tables whose rows change but are never physically deleted.
NO_DELETE = ("items", "practical_sets", "people", "batches", "batch_staff", "papers")

# Triggers that earlier migrations made (their downgrades drop them; ours must not).
EARLIER = {
    *(
        f"qbank_no_delete_{t}"
        for t in (
            "item_versions",
            "practical_set_versions",
            "reviews",
            "filings",
            "filing_entries",
            "audit_events",
            "overlap_reports",
            "batches",
            "batch_staff",
            "papers",
            "sealed_bundles",
            "custody_layouts",
            "custody_entries",
            "custody_checkpoints",
        )
    ),
    *(
        f"qbank_no_update_{t}"
        for t in (
            "reviews",
            "filings",
            "filing_entries",
            "audit_events",
            "overlap_reports",
            "sealed_bundles",
            "custody_layouts",
            "custody_entries",
            "custody_checkpoints",
        )
    ),
}

# Columns of a sealed paper that even the opening may not change.
SEALED_FIXED = (
    "id",
    "batch_id",
    "code",
    "kind",
    "created_at",
    "created_by",
    "sealed_composition",
    "commitment",
    "sealed_at",
)

PG_GUARDS = (
    """
    CREATE OR REPLACE FUNCTION qbank_guard_sealed_paper() RETURNS trigger AS $$
    BEGIN
        IF OLD.sealed_at IS NULL THEN
            RETURN NEW;
        END IF;
        IF OLD.opened_at IS NULL AND NEW.opened_at IS NOT NULL
           AND NEW.blueprint::text = OLD.blueprint::text
           AND {fixed} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'qbank: UPDATE of sealed paper % is refused (only opening it is allowed)',
            OLD.id;
    END;
    $$ LANGUAGE plpgsql
    """.format(fixed=" AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in SEALED_FIXED)),
    """
    CREATE OR REPLACE FUNCTION qbank_guard_opened_paper_items() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM papers WHERE id = OLD.paper_id AND opened_at IS NOT NULL) THEN
            RAISE EXCEPTION 'qbank: DELETE of an opened paper''s paper_items rows is refused';
        END IF;
        RETURN OLD;
    END;
    $$ LANGUAGE plpgsql
    """,
)
SQLITE_SEALED_PAPER_WHEN = (
    "OLD.sealed_at IS NOT NULL AND NOT (OLD.opened_at IS NULL AND NEW.opened_at IS NOT NULL"
    " AND NEW.blueprint IS OLD.blueprint AND "
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SEALED_FIXED)
    + ")"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _refusals() -> list[tuple[str, str]]:
    """(table, event) of every unconditional refusal trigger this schema has."""
    return (
        [(t, e) for t in IMMUTABLE for e in ("UPDATE", "DELETE")]
        + [(t, "DELETE") for t in NO_DELETE]
        + [("paper_items", "UPDATE")]
    )


def _create_refusal(table: str, event: str, postgres: bool) -> None:
    name = f"qbank_no_{event.lower()}_{table}"
    if postgres:
        op.execute(
            f"CREATE OR REPLACE TRIGGER {name} BEFORE {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION qbank_refuse_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'qbank: {event} of {table} rows is refused (records are kept)');"
            " END"
        )


def _create_paper_guards(postgres: bool) -> None:
    if postgres:
        for function in PG_GUARDS:
            op.execute(function)
        op.execute(
            "CREATE OR REPLACE TRIGGER qbank_no_update_papers BEFORE UPDATE ON papers "
            "FOR EACH ROW EXECUTE FUNCTION qbank_guard_sealed_paper()"
        )
        op.execute(
            "CREATE OR REPLACE TRIGGER qbank_no_delete_paper_items BEFORE DELETE ON paper_items "
            "FOR EACH ROW EXECUTE FUNCTION qbank_guard_opened_paper_items()"
        )
    else:
        op.execute(
            "CREATE TRIGGER IF NOT EXISTS qbank_no_update_papers BEFORE UPDATE ON papers "
            f"WHEN {SQLITE_SEALED_PAPER_WHEN} BEGIN "
            "SELECT RAISE(ABORT, 'qbank: UPDATE of a sealed paper is refused "
            "(only opening it is allowed)'); END"
        )
        op.execute(
            "CREATE TRIGGER IF NOT EXISTS qbank_no_delete_paper_items BEFORE DELETE ON paper_items "
            "WHEN (SELECT opened_at FROM papers WHERE id = OLD.paper_id) IS NOT NULL BEGIN "
            "SELECT RAISE(ABORT, 'qbank: DELETE of an opened paper''s paper_items rows "
            "is refused'); END"
        )


def _drop(name: str, table: str, postgres: bool) -> None:
    op.execute(
        f"DROP TRIGGER IF EXISTS {name} ON {table}"
        if postgres
        else f"DROP TRIGGER IF EXISTS {name}"
    )


def _chain_audit_trail() -> None:
    """Add `prev_hash` and `hash` to every existing event, in id order."""
    postgres = _postgres()
    for event in ("UPDATE", "DELETE"):
        _drop(f"qbank_no_{event.lower()}_audit_events", "audit_events", postgres)
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("bank_id", sa.Integer()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            events.c.id,
            events.c.at,
            events.c.actor,
            events.c.action,
            events.c.entity,
            events.c.entity_id,
            events.c.bank_id,
            events.c.detail,
        ).order_by(events.c.id)
    ).all()
    prev = GENESIS
    links = []
    for row in rows:
        digest = event_hash(prev, row._mapping)
        links.append({"event_id": row.id, "new_prev": prev, "new_hash": digest})
        prev = digest
    if links:
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("event_id"))
            .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            links,
        )
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_prev_hash"), ["prev_hash"])
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_hash"), ["hash"])


def upgrade() -> None:
    postgres = _postgres()
    # Plain ALTER TABLE (SQLite ≥ 3.35 has DROP COLUMN): a batch "move and copy" would drop
    # the tables' triggers. Nothing indexes `status`.
    op.execute("ALTER TABLE item_versions DROP COLUMN status")
    op.execute("ALTER TABLE practical_set_versions DROP COLUMN status")
    _chain_audit_trail()
    for table, event in _refusals():
        _create_refusal(table, event, postgres)
    _create_paper_guards(postgres)
    if postgres:
        # TRUNCATE fires no row triggers.
        for table in (*IMMUTABLE, *NO_DELETE):
            op.execute(
                f"CREATE OR REPLACE TRIGGER qbank_no_truncate_{table} BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION qbank_refuse_change()"
            )


def downgrade() -> None:
    postgres = _postgres()
    if postgres:
        for table in (*IMMUTABLE, *NO_DELETE):
            _drop(f"qbank_no_truncate_{table}", table, postgres)
    _drop("qbank_no_update_papers", "papers", postgres)
    _drop("qbank_no_delete_paper_items", "paper_items", postgres)
    if postgres:
        op.execute("DROP FUNCTION qbank_guard_sealed_paper()")
        op.execute("DROP FUNCTION qbank_guard_opened_paper_items()")
    for table, event in _refusals():
        name = f"qbank_no_{event.lower()}_{table}"
        if name not in EARLIER:
            _drop(name, table, postgres)

    for event in ("UPDATE", "DELETE"):
        _drop(f"qbank_no_{event.lower()}_audit_events", "audit_events", postgres)
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_hash"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_audit_events_prev_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    for event in ("UPDATE", "DELETE"):
        _create_refusal("audit_events", event, postgres)

    # Status back on the version rows, from their latest review.
    for table, column in (
        ("item_versions", "item_version_id"),
        ("practical_set_versions", "set_version_id"),
    ):
        for event in ("UPDATE", "DELETE"):
            _drop(f"qbank_no_{event.lower()}_{table}", table, postgres)
        op.execute(f"ALTER TABLE {table} ADD COLUMN status VARCHAR(16) DEFAULT 'draft' NOT NULL")
        op.execute(
            f"UPDATE {table} SET status = COALESCE((SELECT r.decision FROM reviews r "
            f"WHERE r.{column} = {table}.id ORDER BY r.id DESC LIMIT 1), 'draft')"
        )
        _create_refusal(table, "DELETE", postgres)
