"""Tables of the log: entries, perfect-subtree hashes and signed checkpoints.

All three are append-only: triggers refuse UPDATE and DELETE on both
engines. They are created by migration 0002 (``passport/migrations``), which
keeps its own copy of the table names, as a migration must not change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.base import Base

APPEND_ONLY_TABLES = ("entries", "tree_nodes", "checkpoints")


class EntryRow(Base):
    """One log entry; ``leaf_data`` is the RFC 8785 JSON that the tree hashes.

    The other columns repeat fields of ``leaf_data`` for lookups; audit checks
    that they agree.
    """

    __tablename__ = "entries"

    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    event_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    worker_id: Mapped[str] = mapped_column(String(32))
    worker_seq: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    logged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    leaf_data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("worker_id", "worker_seq"),
        UniqueConstraint("worker_id", "event_hash"),
        UniqueConstraint("worker_id", "issuer_id", "ref"),
        Index("ix_entries_issuer_kind", "issuer_id", "kind"),
    )


class TreeNodeRow(Base):
    """The hash of the perfect subtree covering leaves [index << level, …)."""

    __tablename__ = "tree_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointRow(Base):
    """A checkpoint the log signed, as the signed note it published."""

    __tablename__ = "checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
