"""``rtstock serve`` runs the journal as a child process that never outlives it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.support.ingest import IngestProcess


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_journal_child_stops_with_serve(own_db):
    """A graceful stop of serve (SIGTERM) also ends its journal process."""
    ingest = IngestProcess(own_db).start()
    journals = _children(ingest.pid)
    assert journals, "serve starts a journal child process"
    ingest.stop()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in journals) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in journals), "the journal outlived serve"
