"""When the demo's institutions sign: working days and hours, China time.

A record is signed on a working day one to ten days after the fact, between
09:00 and 17:00 China time (01:00 to 09:00 UTC), and never before the record
it depends on.
"""

from __future__ import annotations

import datetime as dt
import random

_SIGNING_RATE = 0.4  # a mean of 2.5 working days: most sign soon, some take ten
_AFTER_DEPENDENCY_SECONDS = (300, 7200)  # after the entry depended on, same day
_WORKING_OFFSETS = [[n for n in range(1, 11) if (day + n) % 7 < 5] for day in range(7)]
_WORKING_SECONDS = 8 * 3600  # 09:00 to 17:00 China time


def signed_at(rng: random.Random, fact: dt.date, not_before: str | None) -> str:
    """A moment on a working day 1 to 10 days after ``fact``, in UTC."""
    offsets = _WORKING_OFFSETS[fact.weekday()]
    pick = min(int(rng.expovariate(_SIGNING_RATE)), len(offsets) - 1)
    day = fact + dt.timedelta(offsets[pick])
    stamp = _stamp(day, rng.randrange(_WORKING_SECONDS))
    if not_before is None or stamp > not_before:
        return stamp
    day = dt.date.fromisoformat(not_before[:10])
    second = _working_second(not_before) + rng.randint(*_AFTER_DEPENDENCY_SECONDS)
    if second >= _WORKING_SECONDS:
        day += dt.timedelta(_WORKING_OFFSETS[day.weekday()][0])
        second = rng.randrange(3600)
    return _stamp(day, second)


def _stamp(day: dt.date, second: int) -> str:
    """``second`` seconds after 09:00 China time, i.e. 01:00 UTC, on ``day``."""
    hour, rest = divmod(3600 + second, 3600)
    return f"{day.isoformat()}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


def _working_second(stamp: str) -> int:
    hour, minute, second = (int(part) for part in stamp[11:19].split(":"))
    return hour * 3600 + minute * 60 + second - 3600
