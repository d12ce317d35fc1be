"""RFID deduplication stage: public API.

What it is: ``Deduplicator(window_s, capacity)`` answers, for each tag read,
whether it is new: the first sighting of an EPC in a reader zone, or the
first after ``window_s`` seconds without a sighting. Input: ``TagRead``s
from ``ingest_core.rfid.formats`` (or plain ``zone, epc, seen_at``); output:
the reads to count. The hot class comes from the compiled module when it is
built, else from the pure-Python twin (see ``ingest_core.decode.speedups``).

How it works: ``accept`` / ``accept_many`` are the hot path;
``filter_reads`` keeps the accepted ``TagRead``s of one zone. Rules and
memory: see ``ingest_core/decode/fallback/dedupe.py`` and
``docs/decisions/rfid-dedupe.md``.

Caveats: state is per process and in memory: after a restart, or on another
ingest instance, an EPC is new again. That is why this stage only thins the
reader's repeats; exactly-once stock effects come from the device read keys
and the writer, not from here. When more than ``capacity`` pairs are live
the least recently seen is forgotten and may be reported again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from ingest_core.decode import speedups

_impl = speedups.load("dedupe")

Deduplicator = _impl.Deduplicator

__all__ = ["Deduplicator", "filter_reads", "implementation"]


class _Read(Protocol):
    epc: str
    seen_at: float


R = TypeVar("R", bound=_Read)


def implementation() -> str:
    """``"cython"`` or ``"python"``: which twin this module is using."""
    return "cython" if _impl.__name__.startswith("ingest_core.decode._speedups") else "python"


def filter_reads(deduplicator: Deduplicator, zone: str, reads: Sequence[R]) -> list[R]:
    """The reads of ``zone`` that ``deduplicator`` accepts, in order."""
    verdicts = deduplicator.accept_many(
        zone, [read.epc for read in reads], [read.seen_at for read in reads]
    )
    return [read for read, new in zip(reads, verdicts, strict=True) if new]
