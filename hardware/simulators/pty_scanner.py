"""A serial barcode scanner on a pty pair, so the real agent reads it.

What it is: the scanner end of a pseudo-terminal pair. The agent (or anything
using pyserial) opens the other end exactly as it would open
``/dev/ttyACM0``; the simulator writes frames the way a configured scanner
does: ``[prefix] code [suffix] terminator``, with FNC1 (ASCII 29 in the code)
sent as GS or replaced by a substitute the agent is configured to undo.

How it works: ``os.openpty()``; the slave is put in raw mode at once so that
bytes written before the agent opens it are neither echoed nor have CR turned
into LF. ``link`` makes a stable path (a symlink) to the slave for a
``store.toml``. Frames are written paced by the profile's times.

Caveats: the pty lives as long as this process; with ``linger_s`` the
simulator keeps it open after the last frame so the agent can drain it.
"""

from __future__ import annotations

import os
import select
import sys
import tty
from pathlib import Path

from hardware.simulators.catalog import GS


def frame(
    code: str, prefix: str = "", suffix: str = "", terminator: str = "\r", fnc1: str = ""
) -> bytes:
    """Bytes a scanner configured this way sends for ``code``."""
    if fnc1 and fnc1 not in {GS, "GS"}:
        code = code.replace(GS, fnc1)
    return f"{prefix}{code}{suffix}{terminator}".encode("latin-1")


class PtyScannerPort:
    """Owns a pty pair; ``path`` is what the agent opens."""

    def __init__(self, link: str | None = None) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)
        self._warned = False
        self.link = Path(link) if link else None
        if self.link is not None:
            if self.link.is_symlink():
                self.link.unlink()
            self.link.symlink_to(self.path)

    def write(self, data: bytes) -> None:
        """Write all of ``data``; when nobody reads the other end, say so and keep waiting.

        A pty holds only a few KiB; a real scanner would beep and lose the scan, a
        simulator must not lose it (tests count on every frame), so it waits.
        """
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                _, writable, _ = select.select([], [self.master], [], 5.0)
                if not writable and not self._warned:
                    print(f"nobody is reading {self.path}; waiting", file=sys.stderr, flush=True)
                    self._warned = True
                continue
            view = view[written:]

    def close(self) -> None:
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()
        os.close(self.master)
        os.close(self.slave)
