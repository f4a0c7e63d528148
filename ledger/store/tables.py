"""Tables of the log: entries, shards, perfect-subtree hashes and checkpoints.

All are append-only: triggers refuse UPDATE and DELETE on both engines.
They are created by migrations 0002 and 0004 (``passport/migrations``), which
keep their own copies of the table names, as a migration must not change.
Entries are numbered by global position; each shard (``ledger/shards.py``)
has its own tree and checkpoints, keyed by its period.
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

APPEND_ONLY_TABLES = ("entries", "log_shards", "tree_nodes", "checkpoints")


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


class LogShardRow(Base):
    """A period's shard: its origin and the global position of its first entry."""

    __tablename__ = "log_shards"

    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    first_position: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TreeNodeRow(Base):
    """In a shard's tree, the hash of the subtree of leaves [index << level, …)."""

    __tablename__ = "tree_nodes"

    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointRow(Base):
    """A checkpoint the log signed, as the signed note it published."""

    __tablename__ = "checkpoints"

    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RiskFlagRow(Base):
    """A risk rule that fired on an entry: stored beside the entry, never in it.

    Written in the entry's own append transaction (``ledger/risk``); the
    authority's decisions on it are kept elsewhere (``risk_reviews``).
    """

    __tablename__ = "risk_flags"

    flag_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    log_index: Mapped[int] = mapped_column(BigInteger, index=True)
    worker_id: Mapped[str] = mapped_column(String(32))
    issuer_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
