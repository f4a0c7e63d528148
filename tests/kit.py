"""Small builders for tests: issuers with keys, trust lists, events."""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text

from issuers.keys import key_id, raw_public
from issuers.signing import sign_event
from ledger.note import NoteSigner
from ledger.store.tables import APPEND_ONLY_TABLES
from schemas.events import SignedEvent
from schemas.trust import (
    Accreditation,
    Authority,
    IssuerKind,
    LogInfo,
    TrustedIssuer,
    TrustedKey,
    TrustList,
)

ORIGIN = "test.skillpass.example/log"
EPOCH = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
WORKER_A = "a" * 32
WORKER_B = "b" * 32


def trusted_key(private_key: Ed25519PrivateKey, **window: Any) -> TrustedKey:
    raw = raw_public(private_key.public_key())
    return TrustedKey(
        key_id=key_id(raw),
        public_key=base64.b64encode(raw).decode(),
        valid_from=window.pop("valid_from", EPOCH),
        **window,
    )


@dataclass
class Issuer:
    issuer_id: str
    key: Ed25519PrivateKey
    trusted: TrustedIssuer

    def sign(self, event: dict[str, Any]) -> SignedEvent:
        return sign_event(event, private_key=self.key)


def make_issuer(
    issuer_id: str,
    kind: IssuerKind,
    event_kinds: list[str],
    *,
    occupations: list[str] | None = None,
    highest_level: int | None = None,
) -> Issuer:
    key = Ed25519PrivateKey.generate()
    trusted = TrustedIssuer(
        issuer_id=issuer_id,
        name=f"测试机构 {issuer_id}",
        kind=kind,
        uscc="91110000600037341L",
        accreditation=Accreditation(
            event_kinds=event_kinds,
            occupations=occupations or [],
            highest_level=highest_level,
        ),
        keys=[trusted_key(key)],
    )
    return Issuer(issuer_id, key, trusted)


def standard_issuers() -> dict[str, Issuer]:
    return {
        "eval": make_issuer(
            "eval-001",
            IssuerKind.EVALUATION_INSTITUTION,
            ["certificate.issued", "entry.revoked", "entry.corrected"],
            occupations=["4-10-01-05"],
            highest_level=3,
        ),
        "train": make_issuer(
            "train-001",
            IssuerKind.TRAINING_INSTITUTION,
            [
                "training.enrolled",
                "training.completed",
                "entry.revoked",
                "entry.corrected",
            ],
        ),
        "employer": make_issuer(
            "emp-001",
            IssuerKind.EMPLOYER,
            ["employment.started", "employment.ended", "entry.revoked"],
        ),
    }


def register_issuers(
    service: Any, issuers: dict[str, Issuer], *, since: dt.datetime = EPOCH
) -> None:
    """Register ``issuers`` and their keys from ``since``; publish a trust list."""
    from issuers.registry import add_issuer_key, register_issuer

    with service.session() as session:
        for issuer in issuers.values():
            t = issuer.trusted
            register_issuer(
                session,
                issuer_id=t.issuer_id,
                name=t.name,
                kind=t.kind,
                uscc=t.uscc,
                accreditation=t.accreditation,
                now=since,
            )
            add_issuer_key(
                session,
                issuer_id=t.issuer_id,
                public_key=raw_public(issuer.key.public_key()),
                valid_from=since,
            )
    service.publish_trust_list()


def revocation(
    worker_id: str, issuer_id: str, ref: str, *, target: Any, reason: str
) -> dict[str, Any]:
    return {
        "kind": "entry.revoked",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": ref,
        "signed_at": "2025-01-01T00:00:00Z",
        "target_log_index": target.log_index,
        "target_leaf_hash": target.leaf_hash.hex(),
        "reason": reason,
        "revoked_on": "2025-01-01",
    }


def make_trust_list(
    issuers: list[Issuer],
    *,
    authority: Ed25519PrivateKey,
    log_signer: NoteSigner,
    passport_signers: list[TrustedKey] | None = None,
) -> TrustList:
    raw = raw_public(authority.public_key())
    return TrustList(
        version=1,
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        authority=Authority(
            name="测试人社局",
            key_id=key_id(raw),
            public_key=base64.b64encode(raw).decode(),
        ),
        log=LogInfo(origin=ORIGIN, verifier_key=log_signer.verifier.vkey),
        verify_url="HTTPS://SKILLPASS.EXAMPLE.CN",
        passport_signers=passport_signers or [],
        issuers=[i.trusted for i in issuers],
    )


def _serial(ref: str) -> str:
    return f"{zlib.crc32(ref.encode()) % 10**6:06d}"


def certificate(
    worker_id: str, issuer_id: str, ref: str, *, level: int = 5, **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "certificate.issued",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": ref,
        "signed_at": "2024-05-10T02:00:00Z",
        "certificate_type": "skill_level",
        "occupation_code": "4-10-01-05",
        "skill_level": level,
        "certificate_no": f"S00005012345624{level}{_serial(ref)}",
        "issued_on": "2024-05-08",
        **extra,
    }


def enrolment(worker_id: str, issuer_id: str, ref: str) -> dict[str, Any]:
    return {
        "kind": "training.enrolled",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": ref,
        "signed_at": "2024-03-01T02:00:00Z",
        "occupation_code": "4-10-01-05",
        "course": "养老护理员（五级）培训",
        "start_on": "2024-03-01",
        "planned_hours": 80,
        "subsidised": True,
    }


def completion(
    worker_id: str, issuer_id: str, ref: str, enrolment_ref: str
) -> dict[str, Any]:
    return {
        "kind": "training.completed",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": ref,
        "signed_at": "2024-04-20T02:00:00Z",
        "enrolment_ref": enrolment_ref,
        "occupation_code": "4-10-01-05",
        "completed_on": "2024-04-19",
        "hours": 82,
        "passed": True,
    }


def drop_append_only_triggers(connection: Connection) -> None:
    """Lift the append-only guard, as someone with database access can."""
    for table in APPEND_ONLY_TABLES:
        if connection.dialect.name == "sqlite":
            for action in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER {table}_no_{action}"))
        else:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
