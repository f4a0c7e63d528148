"""The risk rules: each named, explained, and refusing or flagging one event.

A rule looks at an event about to be appended and what ``RiskHistory``
holds; it returns a detail sentence when it fires, else None. A ``refuse``
rule stops the event (reason = the rule's name); a ``flag`` rule lets it in
and queues it for the authority's review. The rules themselves are in
``impossible``, ``subsidy``, ``presence`` and ``issuance``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ledger.risk.config import RiskConfig
from ledger.risk.history import RiskHistory

CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Context:
    """What a rule may consult besides the history: settings, time, accreditation."""

    config: RiskConfig
    now: dt.datetime
    accredited_since: Callable[[str], dt.datetime | None]

    @property
    def today(self) -> dt.date:
        """Today in China time, where the programme runs."""
        return self.now.astimezone(CHINA_TIME).date()


Check = Callable[[dict[str, Any], RiskHistory, Context], str | None]


@dataclass(frozen=True)
class Rule:
    """A named risk rule and what it does when it fires."""

    name: str
    action: Literal["refuse", "flag"]
    explanation: str
    check: Check
