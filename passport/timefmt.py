"""How times are shown to people: in China time, and saying so.

The ledger and the QR keep UTC; a Chongqing reader lives in UTC+8, and a
date that flips at midnight UTC would show one day early on every page.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
LABEL = "北京时间 UTC+8"
LABEL_EN = "Beijing time, UTC+8"


def time_label(*, english: bool) -> str:
    """The words that say a time is China time, in Chinese or English."""
    return LABEL_EN if english else LABEL


def china_minute(value: dt.datetime) -> str:
    """Date and minute in China time, e.g. ``2026-12-03 18:30``."""
    return f"{value.astimezone(CHINA):%Y-%m-%d %H:%M}"


def china_date(value: dt.datetime) -> str:
    """The date in China time."""
    return f"{value.astimezone(CHINA):%Y-%m-%d}"
