"""A deterministic demo programme: institutions and worker histories as plain data.

``generate`` knows nothing of keys, signing or the ledger. Everything comes
from ``random.Random`` seeded by the caller; no clock is read. The forty
institutions are fictitious (``data/issuers.json``, every name says 某某);
their credit codes are drawn here, two of them with a wrong check character
on purpose so that the trust list flags them for review. Workers are made
lazily by ``passport.demo.history``, each call of ``Programme.workers``
giving the same sequence; the choices behind their histories are listed
there.

Who records what: evaluation institutions certificates (and, the two named
with a ``contest``, competition awards: the municipal 鉴定中心 runs the
"巴渝工匠" cup, an employer's own evaluation institution its 岗位练兵
contest; employers record no awards); training institutions enrolments and
completions; employers employment; social-insurance agencies pension
periods. Every issuer may revoke what it signed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from passport.demo.history import LEDGER_START, HistoryMaker
from passport.guidance.calendar import add_years
from schemas.events import EventKind
from schemas.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    check_uscc,
    uscc_check_char,
)
from schemas.trust import Accreditation, IssuerKind

K = EventKind
# 1:20 of annex 2's 40,000 policy trainings of 2026: shares follow the annex, the
# smallest item (护工, 50) still has a worker or two, and a run takes seconds
DEFAULT_WORKERS = 2000
DEFAULT_SEED = 2026  # any fixed seed will do; the plan's first year is easy to recall
# seven months into the plan (issued 2026-04-30), once that year's contests are
# decided (by 20 November) and their awards signed (within ten days)
DEFAULT_AS_OF = dt.date(2026, 11, 30)
# a year of ledger at least, so that workers have time to train and be certified
EARLIEST_AS_OF = add_years(LEDGER_START, 1)
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_WRONG_CHECK_SHIFT = 7  # any shift but 0 (mod 31) gives a wrong check character
_EVENT_KINDS = {
    IssuerKind.EVALUATION_INSTITUTION: (K.CERTIFICATE_ISSUED, K.ENTRY_REVOKED),
    IssuerKind.TRAINING_INSTITUTION: (
        K.TRAINING_ENROLLED,
        K.TRAINING_COMPLETED,
        K.ENTRY_REVOKED,
    ),
    IssuerKind.EMPLOYER: (
        K.EMPLOYMENT_STARTED,
        K.EMPLOYMENT_ENDED,
        K.APPRENTICESHIP_COMPLETED,
        K.APPOINTMENT_GRANTED,
        K.ENTRY_REVOKED,
        K.ENTRY_CORRECTED,
    ),
    IssuerKind.SOCIAL_INSURANCE_AGENCY: (K.INSURANCE_PERIOD, K.ENTRY_REVOKED),
}


@dataclass(frozen=True)
class IssuerSpec:
    """An institution of the demo programme and what it may sign."""

    issuer_id: str
    name: str
    kind: IssuerKind
    uscc: str
    uscc_flagged: bool
    accreditation: Accreditation
    system: str | None = (
        None  # training institutions: 人社, 民政, 农委, 卫健, 医保, 工会
    )
    station: str | None = None  # evaluation institutions: 6-digit station code
    certificate_prefix: str | None = None  # S (社会培训评价组织) or Y (用人单位)
    contest: str | None = None  # the contest class an evaluation institution runs
    insured_by: str | None = None  # employers: their social-insurance agency

    def accredits(self, code: str, grade: int | None) -> bool:
        """Whether the accreditation covers ``code`` at national grade ``grade``."""
        accreditation = self.accreditation
        if accreditation.occupations and code not in accreditation.occupations:
            return False
        highest = accreditation.highest_level
        # as the trust list reads it: no highest level, no skill levels at all
        return grade is None or (highest is not None and grade >= highest)


@dataclass(frozen=True)
class WorkerHistory:
    """One worker and their unsigned events, earliest signature first."""

    id_number: str
    name: str
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class Programme:
    """The issuers of the demo and a factory of its workers."""

    seed: int
    as_of: dt.date
    worker_count: int
    issuers: tuple[IssuerSpec, ...]

    def workers(self) -> Iterator[WorkerHistory]:
        """Every worker's history, made afresh and identically on each call."""
        maker = HistoryMaker(seed=self.seed, as_of=self.as_of, issuers=self.issuers)
        for index in range(self.worker_count):
            person, events = maker.worker(index)
            yield WorkerHistory(person.id_number, person.name, events)


def generate(
    workers: int = DEFAULT_WORKERS,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
) -> Programme:
    """The demo programme of ``workers`` workers as it stands on ``as_of``."""
    if workers < 0:
        raise ValueError(f"workers: expected a count of 0 or more, got {workers}")
    if as_of < EARLIEST_AS_OF:
        raise ValueError(f"as_of: expected {EARLIEST_AS_OF} or later, got {as_of}")
    text = (
        resources.files("passport.demo")
        .joinpath("data/issuers.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    rng = random.Random(f"skillpass-demo/{seed}/issuers")
    issuers = tuple(
        _issuer(rng, kind, entry) for kind in IssuerKind for entry in data[kind.value]
    )
    return Programme(seed=seed, as_of=as_of, worker_count=workers, issuers=issuers)


def _issuer(rng: random.Random, kind: IssuerKind, entry: dict[str, Any]) -> IssuerSpec:
    kinds = list(_EVENT_KINDS[kind])
    if entry.get("contest"):
        kinds.insert(1, K.COMPETITION_AWARDED)
    uscc = _uscc(rng, entry["uscc_prefix"], entry["division"])
    if entry.get("uscc_fails_check"):
        # a wrong check character, as real registers hold some (FACTS.md §3.2)
        shifted = USCC_ALPHABET.index(uscc[17]) + _WRONG_CHECK_SHIFT
        uscc = uscc[:17] + USCC_ALPHABET[shifted % len(USCC_ALPHABET)]
    try:
        check_uscc(uscc)
        flagged = False
    except IdentifierError:
        flagged = True
    return IssuerSpec(
        issuer_id=entry["issuer_id"],
        name=entry["name"],
        kind=kind,
        uscc=uscc,
        uscc_flagged=flagged,
        accreditation=Accreditation(
            event_kinds=kinds,
            occupations=entry["occupations"],
            highest_level=entry.get("highest_level"),
        ),
        system=entry.get("system"),
        station=entry.get("station"),
        certificate_prefix=entry.get("certificate_prefix"),
        contest=entry.get("contest"),
        insured_by=entry.get("insured_by"),
    )


def _uscc(rng: random.Random, prefix: str, division: str) -> str:
    """A 统一社会信用代码 whose 组织机构代码 (GB 11714) and own check both hold."""
    if prefix == "12":
        body = "".join(rng.choice("0123456789") for _ in range(8))
    else:
        # newer codes of enterprises and of 民政-registered bodies start MA and MJ
        letters = "".join(rng.choice(USCC_ALPHABET[:30]) for _ in range(6))
        body = ("MA" if prefix == "91" else "MJ") + letters
    total = sum(int(c, 36) * w for c, w in zip(body, _GB11714_WEIGHTS, strict=True))
    first17 = prefix + division + body + "0123456789X0"[11 - total % 11]
    return first17 + uscc_check_char(first17)
