"""API bearer tokens per principal, stored as hashes of their secrets.

The issuer lifecycle (rotation, retirement, compromise) needs no new column:
``issuer_keys`` already has ``valid_until`` and ``compromised_since``.

Revision ID: 0007_trust_lifecycle
Revises: 0006_import_risk
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_trust_lifecycle"
down_revision = "0006_import_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_tokens")),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
