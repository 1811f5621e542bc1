"""What a server process does for its requests comes first: background work (webhook
delivery) slows down while large request work (a 10,000-lead write, an import, a check of
10,000) runs in this process's threads, as both need the same interpreter lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Foreground:
    """A count of the large request work running now. Touched on the event loop only."""

    def __init__(self) -> None:
        self.running = 0

    @contextmanager
    def working(self) -> Iterator[None]:
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1

    @property
    def busy(self) -> bool:
        return self.running > 0
