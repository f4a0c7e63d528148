"""Risk flags beside the entries, the authority's reviews, names as written.

``risk_flags`` is written by the log in an entry's own append transaction
and, like the entries, refuses UPDATE and DELETE; ``risk_reviews`` holds
the authority's decision on a flag, one per flag, also append-only.
``worker_identities.name_as_written`` keeps a name as an imported roster
wrote it when cleaning changed it (erased with the rest).

Revision ID: 0006_import_risk
Revises: 0005_worker_links
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_import_risk"
down_revision = "0005_worker_links"
branch_labels = None
depends_on = None

TABLES = ("risk_flags", "risk_reviews")


def upgrade() -> None:
    with op.batch_alter_table("worker_identities") as identities:
        identities.add_column(sa.Column("name_as_written", sa.Text(), nullable=True))
    op.create_table(
        "risk_flags",
        sa.Column("flag_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("worker_id", sa.String(32), nullable=False),
        sa.Column("issuer_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_risk_flags_log_index", "risk_flags", ["log_index"])
    op.create_index("ix_risk_flags_rule", "risk_flags", ["rule"])
    op.create_table(
        "risk_reviews",
        sa.Column(
            "flag_id",
            sa.Integer(),
            sa.ForeignKey("risk_flags.flag_id"),
            primary_key=True,
        ),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, "
                    f"'{table} is append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION skillpass_append_only()"
            )


def downgrade() -> None:
    with op.batch_alter_table("worker_identities") as identities:
        identities.drop_column("name_as_written")
    op.drop_table("risk_reviews")
    op.drop_table("risk_flags")
