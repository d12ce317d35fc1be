"""RFID read deduplication (same EPC in the same zone within a window), pure-Python twin.

What it is: the reference implementation of the ``dedupe`` hot-path stage;
``ingest_core.decode._speedups.dedupe`` exports the same names and gives the same
answers (a differential test holds them together).

How it works: ``Deduplicator(window_s, capacity)`` remembers, per
``(zone, epc)``, when the EPC was last seen. ``accept`` answers True the
first time, and again only once ``window_s`` seconds have passed since the
last sighting (accepted or not): a tag that stays in view is reported once,
a tag that leaves and comes back after the window is reported again. Every
sighting refreshes the entry and makes it the most recently used. A sighting
older than the one remembered (out-of-order delivery) is inside the window
and does not move the remembered time back.

Caveats: memory is bounded by ``capacity`` entries; when a new pair arrives
with the table full, the least recently seen pair is forgotten
(``evictions`` counts them). The consequence: if that EPC is read again
within its window it is accepted again, i.e. reported twice. Size
``capacity`` above the number of distinct tags a store's readers see within
one window. This twin keys an ``OrderedDict`` by ``(zone, epc)`` and needs
about 3x the memory of the compiled one (see ``docs/decisions/rfid-dedupe.md``).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["Deduplicator"]


class Deduplicator:
    """Accept an EPC read once per zone and window (see module docstring)."""

    __slots__ = ("_capacity", "_last_seen", "_window", "evictions")

    def __init__(self, window_s: float, capacity: int) -> None:
        window_s = float(window_s)
        if not window_s >= 0.0:
            raise ValueError("window_s must be >= 0")
        if not 1 <= capacity <= 0x7FFF_FFFF:
            raise ValueError("capacity must be between 1 and 2**31 - 1")
        self._window = window_s
        self._capacity = int(capacity)
        self._last_seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self.evictions = 0

    @property
    def window_s(self) -> float:
        return self._window

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._last_seen)

    def clear(self) -> None:
        """Forget every EPC (``evictions`` is kept)."""
        self._last_seen.clear()

    def accept(self, zone: str, epc: str, seen_at: float) -> bool:
        """True when this read of ``epc`` in ``zone`` is new (see module docstring)."""
        key = (zone, epc)
        last_seen = self._last_seen
        last = last_seen.get(key)
        if last is None:
            if len(last_seen) >= self._capacity:
                last_seen.popitem(last=False)
                self.evictions += 1
            last_seen[key] = float(seen_at)
            return True
        last_seen.move_to_end(key)
        if seen_at > last:
            last_seen[key] = float(seen_at)
        return seen_at - last >= self._window

    def accept_many(self, zone: str, epcs: list[str], times: list[float]) -> list[bool]:
        """``accept`` over parallel lists, in order (a repeat inside the batch is a repeat)."""
        if len(epcs) != len(times):
            raise ValueError("epcs and times must have the same length")
        accept = self.accept
        return [accept(zone, epc, seen_at) for epc, seen_at in zip(epcs, times, strict=True)]
