"""Reading and opening the log's shards (``ledger/shards.py``) in the store."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, func, insert, select

from ledger.shards import Shard, period_of, shard_origin
from ledger.store.tables import CheckpointRow, LogShardRow


def all_shards(connection: Connection) -> list[Shard]:
    """Every shard, oldest first."""
    rows = connection.execute(select(LogShardRow).order_by(LogShardRow.period))
    return [Shard(row.period, row.origin, row.first_position) for row in rows]


def latest_shard(connection: Connection) -> Shard | None:
    """The newest shard, the one appends go to; None for an empty log."""
    row = connection.execute(
        select(LogShardRow).order_by(LogShardRow.period.desc()).limit(1)
    ).first()
    return None if row is None else Shard(row.period, row.origin, row.first_position)


# Built once: proofs are served from these, and building a statement costs
# as much as running it.
_SIZE = (
    select(func.coalesce(func.max(CheckpointRow.tree_size), 0))
    .where(CheckpointRow.period == LogShardRow.period)
    .scalar_subquery()
)
_SIZED = select(
    LogShardRow.period, LogShardRow.origin, LogShardRow.first_position, _SIZE
)
_NEWEST_SIZED = _SIZED.order_by(LogShardRow.period.desc()).limit(1)
_SIZED_OF = _SIZED.where(LogShardRow.period == bindparam("period"))


def sized_shard(connection: Connection, period: int | None) -> tuple[Shard, int] | None:
    """The shard of ``period`` (None: the newest) and its size, in one query."""
    if period is None:
        row = connection.execute(_NEWEST_SIZED).first()
    else:
        row = connection.execute(_SIZED_OF, {"period": period}).first()
    if row is None:
        return None
    return Shard(row[0], row[1], row[2]), int(row[3])


def shard_size(connection: Connection, period: int) -> int:
    """The size of a shard's tree: that of its newest checkpoint.

    Every append writes its checkpoint in the same transaction, so the two
    agree; reading the checkpoint avoids a query across the partitions of
    ``entries``. Audit checks that they agree.
    """
    size = connection.execute(
        select(CheckpointRow.tree_size)
        .where(CheckpointRow.period == period)
        .order_by(CheckpointRow.tree_size.desc())
        .limit(1)
    ).scalar()
    return 0 if size is None else int(size)


def log_size(connection: Connection) -> int:
    """The number of entries in all shards."""
    shard = latest_shard(connection)
    return (
        0
        if shard is None
        else shard.first_position + shard_size(connection, shard.period)
    )


def shard_for(
    connection: Connection, base: str, now: dt.datetime
) -> tuple[Shard, bool]:
    """The shard an append at ``now`` goes to, and whether it is a new one.

    A new period's shard starts where the newest ends; never an older
    shard: with a clock set back, entries join the newest. A new shard is
    recorded by ``record_shard`` once it has an entry, so none stays empty.
    """
    latest = latest_shard(connection)
    period = period_of(now)
    if latest is not None and period <= latest.period:
        return latest, False
    first = (
        0
        if latest is None
        else latest.first_position + shard_size(connection, latest.period)
    )
    return Shard(period, shard_origin(base, period), first), True


def record_shard(connection: Connection, shard: Shard, now: dt.datetime) -> None:
    """Record a new shard, opened at ``now``."""
    connection.execute(
        insert(LogShardRow),
        {
            "period": shard.period,
            "origin": shard.origin,
            "first_position": shard.first_position,
            "opened_at": now,
        },
    )
