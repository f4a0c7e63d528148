"""Erasure reason: why a worker's personal data was erased, kept beside when.

Revision ID: 0008_erasure_reason
Revises: 0007_trust_lifecycle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_erasure_reason"
down_revision = "0007_trust_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker_identities", schema=None) as batch_op:
        batch_op.drop_column("erasure_reason")
