"""The issuers, trust list and signed events that the benchmarks append.

Everything is derived from a seed, so that another process rebuilds the
same keys and the same trust list without being sent any key. Events are
numbered: event ``position`` is fully determined by its number, so any
range can be signed anywhere. Workers come in cohorts of ``cohort``; a
cohort's first ``cohort`` events are its enrolments, then its completions,
certificates and employments, so that most batches refer to entries that
are already in the log.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.keys import key_id, raw_public
from ledger.canonical import canonical_json
from ledger.note import NoteSigner
from schemas.events import EventKind, EventSignature, SignedEvent
from schemas.trust import (
    Accreditation,
    Authority,
    IssuerKind,
    LogInfo,
    SignedTrustList,
    TrustedIssuer,
    TrustedKey,
    TrustList,
)
from verify.events import TrustListPolicy, policy_from_trust_list
from verify.trust import signing_bytes

ORIGIN = "bench.skillpass.example/log"
OCCUPATION = "4-10-01-05"
EVENTS_PER_WORKER = 4
TRAINING, EVALUATION, EMPLOYERS = 4, 2, 4
KEYS_VALID_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
TRUST_LIST_ISSUED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _key(seed: str, name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"{seed}/{name}".encode()).digest()
    )


def _issuer(
    seed: str, issuer_id: str, kind: IssuerKind, accreditation: Accreditation
) -> tuple[Ed25519PrivateKey, TrustedIssuer]:
    key = _key(seed, issuer_id)
    raw = raw_public(key.public_key())
    trusted = TrustedIssuer(
        issuer_id=issuer_id,
        name=f"基准测试机构 benchmark institution {issuer_id}",
        kind=kind,
        uscc="91110000600037341L",
        accreditation=accreditation,
        keys=[
            TrustedKey(
                key_id=key_id(raw),
                public_key=base64.b64encode(raw).decode(),
                valid_from=KEYS_VALID_FROM,
            )
        ],
    )
    return key, trusted


@dataclass(frozen=True)
class World:
    """Issuers with keys, the log's note key and the signed trust list."""

    seed: str
    keys: dict[str, Ed25519PrivateKey]
    log_signer: NoteSigner
    trust_list: str

    @property
    def issued_at(self) -> dt.datetime:
        """When the trust list was issued (before every entry is logged)."""
        return TRUST_LIST_ISSUED_AT

    def policy(self) -> TrustListPolicy:
        """The admission policy of the trust list."""
        return policy_from_trust_list(self.trust_list)

    def policy_factory(self) -> functools.partial[TrustListPolicy]:
        """A picklable factory of the policy, for admission workers."""
        return functools.partial(policy_from_trust_list, self.trust_list)


@functools.cache
def world(seed: str = "bench") -> World:
    """The world of ``seed``: the same keys and trust list in every process."""
    revoked = EventKind.ENTRY_REVOKED
    training = Accreditation(
        event_kinds=[
            EventKind.TRAINING_ENROLLED,
            EventKind.TRAINING_COMPLETED,
            revoked,
        ]
    )
    evaluation = Accreditation(
        event_kinds=[EventKind.CERTIFICATE_ISSUED, revoked],
        occupations=[OCCUPATION],
        highest_level=3,
    )
    employment = Accreditation(
        event_kinds=[EventKind.EMPLOYMENT_STARTED, EventKind.EMPLOYMENT_ENDED, revoked]
    )
    made = [
        *(
            _issuer(seed, f"bench-train-{n}", IssuerKind.TRAINING_INSTITUTION, training)
            for n in range(TRAINING)
        ),
        *(
            _issuer(
                seed, f"bench-eval-{n}", IssuerKind.EVALUATION_INSTITUTION, evaluation
            )
            for n in range(EVALUATION)
        ),
        *(
            _issuer(seed, f"bench-emp-{n}", IssuerKind.EMPLOYER, employment)
            for n in range(EMPLOYERS)
        ),
    ]
    authority = _key(seed, "authority")
    authority_raw = raw_public(authority.public_key())
    log_signer = NoteSigner("bench.skillpass.example", _key(seed, "log"))
    trust_list = TrustList(
        version=1,
        issued_at=TRUST_LIST_ISSUED_AT,
        authority=Authority(
            name="基准测试人社局 benchmark authority",
            key_id=key_id(authority_raw),
            public_key=base64.b64encode(authority_raw).decode(),
        ),
        log=LogInfo(origin=ORIGIN, verifier_key=log_signer.verifier.vkey),
        verify_url="HTTPS://BENCH.SKILLPASS.EXAMPLE",
        passport_signers=[],
        issuers=[trusted for _, trusted in made],
    )
    signed = SignedTrustList(
        trust_list=trust_list,
        signature=base64.b64encode(authority.sign(signing_bytes(trust_list))).decode(),
    )
    return World(
        seed=seed,
        keys={trusted.issuer_id: key for key, trusted in made},
        log_signer=log_signer,
        trust_list=signed.model_dump_json(),
    )


def worker_id(number: int) -> str:
    """A pseudonymous-looking worker id, spread like the real HMAC ones."""
    return hashlib.sha256(f"bench worker {number}".encode()).hexdigest()[:32]


def event(position: int, *, cohort: int) -> dict[str, Any]:
    """Event number ``position``: which worker, which step of their history."""
    group, offset = divmod(position, cohort * EVENTS_PER_WORKER)
    step, member = divmod(offset, cohort)
    number = group * cohort + member
    common = {"worker_id": worker_id(number), "signed_at": ""}
    trainer = f"bench-train-{number % TRAINING}"
    if step == 0:
        return common | {
            "kind": "training.enrolled",
            "issuer_id": trainer,
            "ref": f"EN{number:010d}",
            "signed_at": "2024-03-01T02:00:00Z",
            "occupation_code": OCCUPATION,
            "course": "养老护理员（五级）培训 elderly-care worker, level 5",
            "start_on": "2024-03-01",
            "planned_hours": 80,
            "subsidised": True,
        }
    if step == 1:
        return common | {
            "kind": "training.completed",
            "issuer_id": trainer,
            "ref": f"CO{number:010d}",
            "signed_at": "2024-04-20T02:00:00Z",
            "enrolment_ref": f"EN{number:010d}",
            "occupation_code": OCCUPATION,
            "completed_on": "2024-04-19",
            "hours": 82,
            "passed": True,
        }
    if step == 2:
        return common | {
            "kind": "certificate.issued",
            "issuer_id": f"bench-eval-{number % EVALUATION}",
            "ref": f"CE{number:010d}",
            "signed_at": "2024-05-10T02:00:00Z",
            "certificate_type": "skill_level",
            "occupation_code": OCCUPATION,
            "skill_level": 5,
            "certificate_no": f"S000050123456245{number % 10**6:06d}",
            "issued_on": "2024-05-08",
        }
    return common | {
        "kind": "employment.started",
        "issuer_id": f"bench-emp-{number % EMPLOYERS}",
        "ref": f"EM{number:010d}",
        "signed_at": "2024-06-01T01:00:00Z",
        "occupation_code": OCCUPATION,
        "position": "养老护理员 elderly-care worker",
        "started_on": "2024-06-01",
    }


def _sign_range(
    seed: str, start: int, stop: int, cohort: int
) -> list[tuple[dict[str, Any], str, str]]:
    """In a worker: events ``start`` to ``stop`` with their key ids and signatures."""
    keys = world(seed).keys
    ids = {issuer: key_id(raw_public(k.public_key())) for issuer, k in keys.items()}
    signed = []
    for position in range(start, stop):
        body = event(position, cohort=cohort)
        signature = keys[body["issuer_id"]].sign(canonical_json(body))
        signed.append(
            (body, ids[body["issuer_id"]], base64.b64encode(signature).decode())
        )
    return signed


def signed_batches(
    start: int, count: int, *, batch: int, seed: str = "bench", processes: int = 2
) -> list[list[SignedEvent]]:
    """Events ``start`` … ``start + count - 1``, signed, in batches of ``batch``.

    The cohort is the batch size, so each batch holds one step of one cohort.
    """
    chunk = 20 * batch
    ranges = [
        (s, min(s + chunk, start + count)) for s in range(start, start + count, chunk)
    ]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        parts = pool.map(
            _sign_range,
            [seed] * len(ranges),
            [s for s, _ in ranges],
            [e for _, e in ranges],
            [batch] * len(ranges),
        )
        events = [
            SignedEvent(event=body, signature=EventSignature(key_id=kid, value=value))
            for part in parts
            for body, kid, value in part
        ]
    return [events[i : i + batch] for i in range(0, len(events), batch)]


def flatten(batches: Sequence[Sequence[SignedEvent]]) -> Iterator[SignedEvent]:
    """Every event of ``batches`` in order."""
    for batch in batches:
        yield from batch
