"""Certificate checks for institutions (证书电子档案核查): number plus name.

An institution that holds a certificate number and its holder's name asks
whether they belong together. The answer never says more about the person
than the question held:

1. An unknown number, a name that differs and an erased holder all get the
   same ``no_match``; the right name is never shown.
2. A match says only ``match``, or ``revoked`` with the revocation date.
3. A malformed row is ``invalid`` with what is wrong in the row itself.

Rate limits (``passport.ratelimit``) are the web layer's; ``limit_misses``
turns a batch's answers past the miss budget into ``not_checked``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from ledger.store.tables import EntryRow
from passport.service import Service
from passport.tables import WorkerIdentityRow
from schemas.events import EventKind
from schemas.identifiers import CERTIFICATE_NO_PATTERN
from schemas.text import MAX_NAME, unprintable_character

logger = logging.getLogger(__name__)

_REVOKING_KINDS = (EventKind.ENTRY_REVOKED.value, EventKind.ENTRY_CORRECTED.value)
_HOLDING_KINDS = (EventKind.CERTIFICATE_ISSUED.value, EventKind.ENTRY_CORRECTED.value)

MAX_FIELD = 200
"""The longest cell or field read at all; the real limits make it ``invalid``."""

# Chinese first, English beside: the words for each result.
RESULT_TEXT = {
    "match": ("一致：证书有效", "match: the certificate is valid"),
    "revoked": ("一致，但证书已撤销", "match, but the certificate was revoked"),
    "no_match": (
        "不一致：无此证书或姓名不符",
        "no match: no such certificate, or the name differs",
    ),
    "invalid": ("输入有误", "invalid input"),
    "not_checked": (
        "未核查：超出查询频率限制，请稍后重试",
        "not checked: rate limit reached, retry later",
    ),
}
MISSES = frozenset({"no_match", "invalid"})
"""Results that cost the client part of its miss budget."""


@dataclass(frozen=True)
class CheckRequest:
    """One row of a check: a certificate number and a name, as given."""

    certificate_no: str
    name: str


@dataclass(frozen=True)
class CheckResult:
    """The answer for one row: its result code and, if revoked, the date."""

    certificate_no: str
    name: str
    result: str
    revoked_on: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class _Held:
    worker_id: str
    log_index: int


def check_certificates(
    service: Service, requests: Sequence[CheckRequest]
) -> list[CheckResult]:
    """Answer each row (steps 1-3) with one pass over the certificates."""
    wanted = {r.certificate_no.strip() for r in requests}
    held = _certificates(service, wanted)
    workers = {h.worker_id for h in held.values()}
    names = _names(service, workers)
    revoked = _revocations(service, workers)
    return [_answer(r, held, names, revoked) for r in requests]


def _answer(
    request: CheckRequest,
    held: dict[str, _Held],
    names: dict[str, str],
    revoked: dict[int, str],
) -> CheckResult:
    number, name = request.certificate_no.strip(), request.name.strip()
    problem = _malformed(number, name)
    if problem:
        return CheckResult(
            request.certificate_no, request.name, "invalid", None, problem
        )
    found = held.get(number)
    # 1. one answer for every kind of miss, so that none tells more than another
    if found is None or names.get(found.worker_id) != name:
        return CheckResult(number, name, "no_match")
    # 2. a match, and whether it stands
    # TODO: a certificate signed by a key marked compromised before it was
    # logged still answers match here; the archive, passports and
    # credentials flag it (passport/archive.py), these answers have no code.
    revoked_on = revoked.get(found.log_index)
    if revoked_on is not None:
        return CheckResult(number, name, "revoked", revoked_on)
    return CheckResult(number, name, "match")


def _malformed(number: str, name: str) -> str:
    """Step 3: what is wrong with a row, in terms of the row only (zh / en)."""
    if not number:
        return "证书编号为空 / certificate_no: empty"
    if not re.fullmatch(CERTIFICATE_NO_PATTERN, number):
        return (
            "证书编号应为8至32位大写字母或数字 / certificate_no: expected 8 to 32 "
            "capital letters and digits"
        )
    if not name:
        return "姓名为空 / name: empty"
    if len(name) > MAX_NAME:
        return (
            f"姓名最多{MAX_NAME}个字符 / name: expected at most {MAX_NAME} "
            f"characters, got {len(name)}"
        )
    problem = unprintable_character(name)
    if problem is not None:
        return f"姓名含控制字符或格式字符 / name: {problem}"
    return ""


def limit_misses(
    results: Sequence[CheckResult], take: Callable[[], bool]
) -> list[CheckResult]:
    """Results in order until the miss budget runs out, then ``not_checked``.

    ``take`` spends one unit of the budget and says whether there was one.
    Every row after the first refused one is withheld, matches included, so
    that which rows are withheld tells nothing either.
    """
    limited: list[CheckResult] = []
    exhausted = False
    for result in results:
        if not exhausted and result.result in MISSES and not take():
            exhausted = True
        if exhausted:
            result = CheckResult(result.certificate_no, result.name, "not_checked")
        limited.append(result)
    return limited


def with_text(result: CheckResult, *, english: bool = False) -> CheckResult:
    """The result with its words in the detail when it has none of its own."""
    if result.detail:
        return result
    return replace(result, detail=RESULT_TEXT[result.result][int(english)])


def _certificates(service: Service, wanted: set[str]) -> dict[str, _Held]:
    """The live holders of the wanted certificate numbers.

    TODO: this reads every certificate entry of the log once per check; an
    index from certificate number to log index, kept at append time, would
    make a check cost one lookup when the log holds millions of entries.
    """
    held: dict[str, _Held] = {}
    with service.log.engine.connect() as connection:
        rows = connection.execute(
            select(EntryRow.log_index, EntryRow.worker_id, EntryRow.leaf_data)
            .where(EntryRow.kind.in_(_HOLDING_KINDS))
            .order_by(EntryRow.log_index)
        )
        for log_index, worker_id, leaf_data in rows:
            event = json.loads(leaf_data)["event"]
            # a correction holds the certificate it restates; being later in
            # the log, it takes the number over from the entry it replaces
            fact = event.get("corrected", event)
            number = fact.get("certificate_no")
            if fact["kind"] == EventKind.CERTIFICATE_ISSUED and number in wanted:
                held[number] = _Held(worker_id, log_index)
    logger.debug("certificate check: %s of %s numbers found", len(held), len(wanted))
    return held


def _names(service: Service, workers: set[str]) -> dict[str, str]:
    """Names of the workers not erased."""
    names: dict[str, str] = {}
    with service.reading() as session:
        chosen = sorted(workers)
        for start in range(0, len(chosen), 500):
            for worker_id, name in session.execute(
                select(WorkerIdentityRow.worker_id, WorkerIdentityRow.name).where(
                    WorkerIdentityRow.worker_id.in_(chosen[start : start + 500]),
                    WorkerIdentityRow.erased_at.is_(None),
                )
            ):
                if name is not None:
                    names[worker_id] = name
    return names


def _revocations(service: Service, workers: set[str]) -> dict[int, str]:
    """Revocation dates by the log index they revoke, for the given workers.

    A correction revokes the entry it replaces, on its ``corrected_on``.
    """
    revoked: dict[int, str] = {}
    with service.log.engine.connect() as connection:
        rows = connection.execute(
            select(EntryRow.worker_id, EntryRow.leaf_data).where(
                EntryRow.kind.in_(_REVOKING_KINDS)
            )
        )
        for worker_id, leaf_data in rows:
            if worker_id in workers:
                event = json.loads(leaf_data)["event"]
                on = event.get("revoked_on") or event["corrected_on"]
                revoked[int(event["target_log_index"])] = on
    return revoked
