"""On PostgreSQL, partition the per-worker tables by a hash of the worker id.

``entries`` and ``worker_identities`` become hash-partitioned on
``worker_id`` (declarative partitioning), every unique constraint includes
``worker_id``, and the append path reads only the partitions of its batch's
workers, so that Citus can later distribute them on the same key. The
log's global tables (``tree_nodes``, ``checkpoints``) stay as they are.
``log_index`` is then unique by the single writer's lock and by audit, no
longer by a constraint across partitions.

SQLite has no partitioning; there this migration does nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PARTITIONS = 16

ENTRY_COLUMNS = """
    log_index BIGINT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    event_hash BYTEA NOT NULL,
    worker_id VARCHAR(32) NOT NULL,
    worker_seq INTEGER NOT NULL,
    issuer_id VARCHAR(64) NOT NULL,
    ref VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    logged_at TIMESTAMP WITH TIME ZONE NOT NULL,
    leaf_data BYTEA NOT NULL,
    CONSTRAINT pk_entries PRIMARY KEY (worker_id, log_index),
    CONSTRAINT uq_entries_worker_id_leaf_hash UNIQUE (worker_id, leaf_hash),
    CONSTRAINT uq_entries_worker_id_event_hash UNIQUE (worker_id, event_hash),
    CONSTRAINT uq_entries_worker_id_issuer_id_ref UNIQUE (worker_id, issuer_id, ref),
    CONSTRAINT uq_entries_worker_id_worker_seq UNIQUE (worker_id, worker_seq)
"""

IDENTITY_COLUMNS = """
    worker_id VARCHAR(32) NOT NULL,
    id_number VARCHAR(18),
    name TEXT,
    registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    erased_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_worker_identities PRIMARY KEY (worker_id)
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_entries_issuer_kind")
    _partition("entries", ENTRY_COLUMNS, append_only=True)
    op.execute("CREATE INDEX ix_entries_log_index ON entries (log_index)")
    op.execute("CREATE INDEX ix_entries_issuer_kind ON entries (issuer_id, kind)")
    _partition("worker_identities", IDENTITY_COLUMNS, append_only=False)


def _partition(table: str, columns: str, *, append_only: bool) -> None:
    """Replace ``table`` by a hash-partitioned copy holding the same rows."""
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_heap")
    for name in _constraints(f"{table}_heap"):
        op.execute(f"ALTER TABLE {table}_heap RENAME CONSTRAINT {name} TO {name}_heap")
    op.execute(f"CREATE TABLE {table} ({columns}) PARTITION BY HASH (worker_id)")
    for remainder in range(PARTITIONS):
        part = f"{table}_p{remainder:02d}"
        op.execute(
            f"CREATE TABLE {part} PARTITION OF {table} "
            f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder})"
        )
        if append_only:
            # A TRUNCATE of one partition bypasses the parent's trigger.
            op.execute(
                f"CREATE TRIGGER {part}_no_truncate BEFORE TRUNCATE ON {part} "
                "FOR EACH STATEMENT EXECUTE FUNCTION skillpass_append_only()"
            )
    op.execute(f"INSERT INTO {table} SELECT * FROM {table}_heap")
    if append_only:
        op.execute(f"ALTER TABLE {table}_heap DISABLE TRIGGER USER")
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION skillpass_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION skillpass_append_only()"
        )
    op.execute(f"DROP TABLE {table}_heap")


def _constraints(table: str) -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = %(table)s::regclass",
        {"table": table},
    )
    return [name for (name,) in rows]


def downgrade() -> None:
    raise NotImplementedError("partitioned tables are not folded back into one")
