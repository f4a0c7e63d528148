"""Tables of the product: personal data, passports, verifications, API tokens.

Personal data lives only in ``worker_identities``; erasing a worker clears
its row there and touches nothing in the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.base import Base


class WorkerIdentityRow(Base):
    """The person behind a pseudonymous worker id."""

    __tablename__ = "worker_identities"

    worker_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    id_number: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(Text)
    name_as_written: Mapped[str | None] = mapped_column(Text)
    """The name as an imported roster wrote it, when cleaning changed it."""
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # why, as the erasure request gave it: for the authority, never in the log
    erasure_reason: Mapped[str | None] = mapped_column(Text)


class PassportRow(Base):
    """A passport as issued: which entries it shows and at which tree size."""

    __tablename__ = "passports"

    passport_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(32), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    log_indexes: Mapped[list[Any]] = mapped_column(JSON)


class VerificationRow(Base):
    """One online verification of a passport, shown to its holder."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    passport_id: Mapped[str] = mapped_column(String(16), index=True)
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(String(32))
    verifier: Mapped[str | None] = mapped_column(String(200))


class RiskReviewRow(Base):
    """The authority's decision on a risk flag (``risk_flags``), one per flag."""

    __tablename__ = "risk_reviews"

    flag_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("risk_flags.flag_id"), primary_key=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A bearer token of the API: only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    role: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
