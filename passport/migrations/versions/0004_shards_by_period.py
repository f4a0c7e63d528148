"""Shard the log by period: one tree and one checkpoint origin per year.

Adds ``log_shards`` and a ``period`` column to ``tree_nodes`` and
``checkpoints``, both now keyed by it. A log written before this revision
signed its checkpoints under the unsharded origin, which no key-less
migration can re-sign; such a log was never deployed (only demos and tests
wrote one), so this revision refuses to run on a non-empty log rather than
leave checkpoints that audit would reject.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEYS = {
    "tree_nodes": ["period", "level", "node_index"],
    "checkpoints": ["period", "tree_size"],
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM checkpoints")).scalar():
        raise RuntimeError(
            "migration 0004: this log was written before sharding; start a new "
            "database (for the demo: a new --out directory)"
        )
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "log_shards",
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("first_position", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_log_shards")),
    )
    for table, key in KEYS.items():
        _drop_append_only(table, sqlite)
        with op.batch_alter_table(
            table, recreate="always" if sqlite else "auto"
        ) as batch:
            batch.add_column(sa.Column("period", sa.Integer(), nullable=False))
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
    for table in ("log_shards", *KEYS):
        _add_append_only(table, sqlite)


def _drop_append_only(table: str, sqlite: bool) -> None:
    if sqlite:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def _add_append_only(table: str, sqlite: bool) -> None:
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION skillpass_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION skillpass_append_only()"
    )


def downgrade() -> None:
    raise NotImplementedError("shards are not folded back into one tree")
