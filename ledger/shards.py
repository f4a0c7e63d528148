"""The log sharded by period: one RFC 9162 tree, with its own origin, per year.

Certificate-transparency logs are split by year so that no tree grows
without end and a finished year can be frozen, archived and audited once.
The ledger does the same: the entries logged in a year (China time, UTC+8)
form that year's tree, whose checkpoints name the origin ``<base>/<year>``.
Each entry keeps one global position (its ``log_index``) across shards, so
that revocations, passports and proofs never change meaning; a position
resolves to (period, index) through the shard index, a note the log signs::

    <base>
    shards
    2026 0
    2027 18311

listing each shard's period and the global position of its first entry. A
shard once left is never reopened: an entry logged by a clock that went
back into an earlier year joins the newest shard.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import MalformedNote, ProofRequestError

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
_PERIOD = re.compile(r"(19|20|21)[0-9]{2}")


def period_of(when: dt.datetime) -> int:
    """The period (year, China time) in which ``when`` falls."""
    return when.astimezone(CHINA).year


def shard_origin(base: str, period: int) -> str:
    """The checkpoint origin of the shard of ``period``."""
    return f"{base}/{period}"


def period_of_origin(base: str, origin: str) -> int:
    """The period a shard origin names; raise MalformedNote for another log's."""
    prefix, _, year = origin.rpartition("/")
    if prefix != base or not _PERIOD.fullmatch(year):
        raise MalformedNote(f"checkpoint: origin {origin!r} is not a shard of {base!r}")
    return int(year)


@dataclass(frozen=True)
class Shard:
    """One period's tree: its origin and the global position of its first entry."""

    period: int
    origin: str
    first_position: int


def locate(shards: Sequence[Shard], position: int) -> tuple[Shard, int]:
    """The shard holding global ``position`` and the index within it."""
    for shard in reversed(shards):
        if position >= shard.first_position:
            return shard, position - shard.first_position
    raise ProofRequestError(f"position: {position} is before the first shard")


def index_text(base: str, shards: Sequence[Shard]) -> str:
    """The body of the signed shard index."""
    lines = [base, "shards", *(f"{s.period} {s.first_position}" for s in shards)]
    return "".join(f"{line}\n" for line in lines)


def parse_index(base: str, text: str) -> list[Shard]:
    """The shards of an index body; raise MalformedNote when it is off-format."""
    lines = text.split("\n")
    if lines[:2] != [base, "shards"] or lines[-1] != "":
        raise MalformedNote(f"shard index: not the index of {base!r}")
    shards = []
    for line in lines[2:-1]:
        period, _, first = line.partition(" ")
        if not _PERIOD.fullmatch(period) or not first.isdigit():
            raise MalformedNote(f"shard index: bad line {line!r}")
        shards.append(Shard(int(period), shard_origin(base, int(period)), int(first)))
    return shards
