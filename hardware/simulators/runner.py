"""Pacing and progress shared by every simulator.

What it is: :func:`paced` replays a profile's simulated times against the wall
clock at ``speed`` x real time, and :func:`progress` wraps a long run in a
rich progress bar (on stderr, so a simulator's JSON output on stdout stays
clean).

How it works: sleeping until ``start + at_s / speed`` (not between reads)
keeps the rate right even when sending takes time; ``speed <= 0`` means no
pacing at all, as fast as the target accepts.

Caveats: rich is imported only here, so the agent never loads it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def paced(items: Iterable[T], speed: float, at=lambda item: item.at_s) -> Iterator[T]:
    """Yield ``items`` no earlier than their simulated time divided by ``speed``."""
    start = time.monotonic()
    for item in items:
        if speed > 0:
            delay = start + at(item) / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        yield item


@contextmanager
def progress(description: str, total: int | None, enabled: bool = True):
    """A rich progress bar; yields ``advance(n)``. Disabled: a no-op."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
