"""Flag burst issuance by a new evaluator and events dated before what they rest on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledger.risk.history import FACT_DATE, RiskHistory
from ledger.risk.rules import Context, Rule
from schemas.events import EventKind


def new_evaluator(issuer_id: str, context: Context) -> bool:
    """Whether the issuer's accreditation began within the burst window."""
    since = context.accredited_since(issuer_id)
    window = dt.timedelta(days=context.config.setting("burst_issuance", "window_days"))
    return since is not None and context.now - since < window


# TODO: counts certificates by when they were logged, from the evaluator's
# first key; counting by the issue dates printed on them needs an index of
# issued_on per issuer, which the entries table does not have.
def _burst_issuance(
    event: dict[str, Any], history: RiskHistory, context: Context
) -> str | None:
    issuer = event["issuer_id"]
    if (
        event["kind"] != EventKind.CERTIFICATE_ISSUED
        or issuer not in history.certificates
    ):
        return None
    limit = context.config.setting("burst_issuance", "max_certificates")
    count = history.certificates[issuer] + 1
    if count <= limit:
        return None
    since = context.accredited_since(issuer)
    days = context.config.setting("burst_issuance", "window_days")
    return (
        f"issuer_id: certificate {count} of {issuer} within {days} days of its "
        f"accreditation on {since:%Y-%m-%d}, the limit is {limit}"
    )


def _before_status(
    event: dict[str, Any], history: RiskHistory, _: Context
) -> str | None:
    if event["kind"] != EventKind.ENTRY_REVOKED:
        return None
    target = history.by_index.get(int(event["target_log_index"]))
    if target is None:
        return None
    name = FACT_DATE[EventKind(target.kind)]
    if event["revoked_on"] >= target.event[name]:
        return None
    return (
        f"revoked_on: {event['revoked_on']} is before {name} {target.event[name]} "
        f"of the entry {target.log_index} it revokes"
    )


BURST_ISSUANCE = Rule(
    "burst_issuance",
    "flag",
    "新机构突击发证 more certificates than the limit from an evaluation "
    "institution accredited only recently",
    _burst_issuance,
)
BEFORE_STATUS = Rule(
    "before_status",
    "flag",
    "早于所依据的状态 an event dated before the status it rests on, such as a "
    "revocation dated before the record it revokes",
    _before_status,
)
