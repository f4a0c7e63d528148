"""Token buckets per client key, so that nobody can enumerate people.

Each client key has a bucket of ``capacity`` tokens refilled at ``rate`` a
second; a request takes tokens or is told how long to wait. Buckets live in
the process's memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 100_000
"""Buckets kept before full ones are dropped, so memory stays bounded."""


@dataclass(frozen=True)
class BucketSize:
    """How many tokens a bucket holds and how many it regains a second."""

    capacity: float
    rate: float


class TokenBucket:
    """Token buckets by client key, safe to share between threads.

    TODO: buckets live in one process's memory, so several server processes
    each allow the full rate and a restart refills every bucket; a shared
    store (the database or Redis) would make the limit hold across them.
    """

    def __init__(
        self, size: BucketSize, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str, tokens: float = 1) -> float:
        """Take ``tokens`` for ``client``: 0 if granted, else seconds to wait."""
        with self._lock:
            now = self.clock()
            held = self._level(client, now)
            if held >= tokens:
                self._buckets[client] = (held - tokens, now)
                return 0.0
            self._buckets[client] = (held, now)
            if tokens > self.size.capacity:
                return math.inf
            return (tokens - held) / self.size.rate

    def level(self, client: str) -> float:
        """How many tokens ``client`` holds now, taking none."""
        with self._lock:
            return self._level(client, self.clock())

    def _level(self, client: str, now: float) -> float:
        """The client's tokens now; a new client starts with a full bucket."""
        if client not in self._buckets:
            if len(self._buckets) >= MAX_CLIENTS:
                self._forget_full(now)
            return self.size.capacity
        held, since = self._buckets[client]
        return min(self.size.capacity, held + (now - since) * self.size.rate)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled; forgetting them changes nothing."""
        full = self.size.capacity
        self._buckets = {
            client: (held, since)
            for client, (held, since) in self._buckets.items()
            if held + (now - since) * self.size.rate < full
        }


def retry_after(wait: float) -> str:
    """A Retry-After header value: whole seconds, at least one."""
    return str(max(1, math.ceil(min(wait, 86_400))))
