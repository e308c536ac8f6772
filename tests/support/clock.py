"""A clock for tests of anything that waits: it moves only when slept on (or when a test moves it)."""

from __future__ import annotations


class FakeTime:
    """``clock`` and ``sleep`` for an AppContext or a watch; every sleep is recorded (rounded to the microsecond,
    so sums of intervals compare exactly)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "no busy loop"
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
