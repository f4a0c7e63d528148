"""Running an iterator a few items ahead in a thread of its own.

An import prepares and signs the next chunks while the log writes the
current one; the writer spends much of its time in the database and
waiting for the admission processes, when the GIL is free.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def run_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what ``items`` yields, computing up to ``depth`` items in advance.

    An exception raised by ``items`` is raised here, at the item it stopped.
    Leaving the loop early lets the thread finish its current item and stop.
    """
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            buffer.put(_Failure(exc))
        else:
            buffer.put(_DONE)

    thread = threading.Thread(target=produce, name="import-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buffer.get(timeout=0.1)
            except queue.Empty:
                continue
        thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
