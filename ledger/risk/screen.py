"""Running the risk rules on a batch inside the append transaction.

For each event the log is about to append, in order:

1. Every enabled ``refuse`` rule runs; the first that fires refuses the
   event with the rule's name as the reason, and nothing is written.
2. Every enabled ``flag`` rule runs; each that fires gives a ``Flag``, which
   the log stores in ``risk_flags`` beside the entry (never in it) in the
   same transaction.
3. The event joins the history, so later events of the batch see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ledger.errors import EventRefused
from ledger.risk.config import RiskConfig
from ledger.risk.history import RiskHistory
from ledger.risk.impossible import FUTURE_FACT, PREREQUISITE_CONTRADICTED
from ledger.risk.issuance import BEFORE_STATUS, BURST_ISSUANCE, new_evaluator
from ledger.risk.presence import OVERLAPPING_CLASSES, TWO_PLACES
from ledger.risk.rules import Context, Rule
from ledger.risk.subsidy import LIFETIME_LIMIT, REPEAT_SUBSIDY, YEARLY_LIMIT
from schemas.events import EventKind

RULES: tuple[Rule, ...] = (
    FUTURE_FACT,
    PREREQUISITE_CONTRADICTED,
    REPEAT_SUBSIDY,
    YEARLY_LIMIT,
    LIFETIME_LIMIT,
    OVERLAPPING_CLASSES,
    TWO_PLACES,
    BURST_ISSUANCE,
    BEFORE_STATUS,
)
"""Every rule, in the order they run."""


@dataclass(frozen=True)
class Flag:
    """A flag rule that fired on an entry, for the review queue."""

    rule: str
    detail: str


class RiskScreen:
    """The configured rules, ready to screen batch after batch."""

    def __init__(
        self,
        config: RiskConfig,
        accredited_since: Callable[[str], dt.datetime | None],
    ) -> None:
        self.config = config
        self.accredited_since = accredited_since
        self.rules = [r for r in RULES if config.enabled(r.name)]

    def begin(
        self, connection: Connection, batch: Sequence[dict[str, Any]], now: dt.datetime
    ) -> BatchScreen:
        """Load what the rules need for ``batch`` and screen its events."""
        context = Context(self.config, now, self.accredited_since)
        evaluators = {
            str(e["issuer_id"])
            for e in batch
            if e["kind"] == EventKind.CERTIFICATE_ISSUED
        }
        new = [i for i in evaluators if new_evaluator(i, context)]
        history = RiskHistory.load(connection, batch, new)
        return BatchScreen(self.rules, history, context)


@dataclass
class BatchScreen:
    """Steps 1–3 of the module docstring for one batch."""

    rules: list[Rule]
    history: RiskHistory
    context: Context

    def check(self, event: dict[str, Any]) -> list[Flag]:
        """Refuse (EventRefused) or return the flags of ``event``."""
        flags = []
        for rule in self.rules:
            detail = rule.check(event, self.history, self.context)
            if detail is None:
                continue
            if rule.action == "refuse":
                raise EventRefused(rule.name, detail)
            flags.append(Flag(rule.name, detail))
        return flags

    def add(self, log_index: int, event: dict[str, Any]) -> None:
        """Step 3: the appended entry joins the history."""
        self.history.add(log_index, event)
