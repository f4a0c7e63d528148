"""Worker links: capability tokens, stored hashed, that open a worker's own view.

Revision ID: 0005_worker_links
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_worker_links"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_worker_links")),
    )
    with op.batch_alter_table("worker_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_links_worker_id"), ["worker_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_links_worker_id"))
    op.drop_table("worker_links")
