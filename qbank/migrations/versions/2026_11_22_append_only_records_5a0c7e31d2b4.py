"""append-only records: the database refuses DELETE of versions, reviews, filings, audit

Revision ID: 5a0c7e31d2b4
Revises: 2f075fd02953
Create Date: 2026-11-22 05:10:00

Records must stay traceable for years (`001` 三（十四）, 证书数据工作指南 第十三、十五条):
qbank only deletes logically, and these triggers make a physical DELETE (by any tool, not
just qbank) fail. Audit events, reviews and filings cannot be UPDATEd either.
"""

from __future__ import annotations

from alembic import op

revision = "5a0c7e31d2b4"
down_revision = "2f075fd02953"
branch_labels = None
depends_on = None

NO_DELETE = (
    "item_versions",
    "practical_set_versions",
    "reviews",
    "filings",
    "filing_entries",
    "audit_events",
    "overlap_reports",
)
NO_UPDATE = ("reviews", "filings", "filing_entries", "audit_events", "overlap_reports")


def _triggers() -> list[tuple[str, str, str]]:
    return [(t, "DELETE", f"qbank_no_delete_{t}") for t in NO_DELETE] + [
        (t, "UPDATE", f"qbank_no_update_{t}") for t in NO_UPDATE
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION qbank_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'qbank: % of % rows is refused (records are kept)',
                    TG_OP, TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table, event, name in _triggers():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION qbank_refuse_change()"
            )
    else:
        for table, event, name in _triggers():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'qbank: {event} of {table} rows is refused (records are kept)'); "
                f"END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, _event, name in _triggers():
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION qbank_refuse_change()")
