"""Initial schema: the log, the issuer registry and the product's tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "entries",
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("event_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("worker_id", sa.String(length=32), nullable=False),
        sa.Column("worker_seq", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leaf_data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_index", name=op.f("pk_entries")),
        sa.UniqueConstraint("leaf_hash", name=op.f("uq_entries_leaf_hash")),
        sa.UniqueConstraint(
            "worker_id", "event_hash", name=op.f("uq_entries_worker_id_event_hash")
        ),
        sa.UniqueConstraint(
            "worker_id",
            "issuer_id",
            "ref",
            name=op.f("uq_entries_worker_id_issuer_id_ref"),
        ),
        sa.UniqueConstraint(
            "worker_id", "worker_seq", name=op.f("uq_entries_worker_id_worker_seq")
        ),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entries_issuer_kind", ["issuer_id", "kind"], unique=False
        )

    op.create_table(
        "issuer_keys",
        sa.Column("issuer_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("issuer_id", "key_id", name=op.f("pk_issuer_keys")),
    )
    op.create_table(
        "issuers",
        sa.Column("issuer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("uscc_flagged", sa.Boolean(), nullable=False),
        sa.Column("system", sa.String(length=8), nullable=True),
        sa.Column("accreditation", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", name=op.f("pk_issuers")),
    )
    op.create_table(
        "passports",
        sa.Column("passport_id", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("log_indexes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("passport_id", name=op.f("pk_passports")),
    )
    with op.batch_alter_table("passports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passports_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "service_keys",
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("role", "key_id", name=op.f("pk_service_keys")),
    )
    op.create_table(
        "tree_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("node_index", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_tree_nodes")),
    )
    op.create_table(
        "trust_lists",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_trust_lists")),
    )
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("passport_id", sa.String(length=16), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("verifier", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifications_passport_id"), ["passport_id"], unique=False
        )

    op.create_table(
        "worker_identities",
        sa.Column("worker_id", sa.String(length=32), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_identities")),
    )


def downgrade() -> None:
    op.drop_table("worker_identities")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_passport_id"))

    op.drop_table("verifications")
    op.drop_table("trust_lists")
    op.drop_table("tree_nodes")
    op.drop_table("service_keys")
    with op.batch_alter_table("passports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passports_worker_id"))

    op.drop_table("passports")
    op.drop_table("issuers")
    op.drop_table("issuer_keys")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_issuer_kind")

    op.drop_table("entries")
    op.drop_table("checkpoints")
