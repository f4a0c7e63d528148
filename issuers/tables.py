"""Tables of the issuer registry: institutions, their keys, published trust lists.

Unlike the log these rows change (a key is retired or marked compromised);
every change is published as a new signed trust-list version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.base import Base


class IssuerRow(Base):
    """An accredited institution."""

    __tablename__ = "issuers"

    issuer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str] = mapped_column(String(18))
    uscc_flagged: Mapped[bool] = mapped_column(Boolean)
    system: Mapped[str | None] = mapped_column(String(8))
    accreditation: Mapped[dict[str, Any]] = mapped_column(JSON)
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class _KeyWindow:
    """An Ed25519 public key and the window in which its signatures count."""

    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    compromised_since: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True)
    )


class IssuerKeyRow(_KeyWindow, Base):
    """An issuer's key."""

    __tablename__ = "issuer_keys"

    issuer_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class ServiceKeyRow(_KeyWindow, Base):
    """A key of the service itself: the authority, the log, a passport signer."""

    __tablename__ = "service_keys"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class TrustListRow(Base):
    """A published version of the signed trust list, as its JSON document."""

    __tablename__ = "trust_lists"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[str] = mapped_column(Text)
