"""Run the real store agent as a subprocess for end-to-end tests.

The agent (``hardware.agent_process``) reads a pty pair that the test writes scanner
frames into (``PtyScanner``).
"""

from __future__ import annotations

import os
import tty

from hardware.agent_process import REPO, AgentProcess, free_port, wait_for

__all__ = ["REPO", "AgentProcess", "PtyScanner", "free_port", "wait_for"]


class PtyScanner:
    """The scanner's end of a pty pair; the agent opens ``port``."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR->LF mapping before the agent opens it
        self.port = os.ttyname(self._slave)

    def scan(self, frame: bytes) -> None:
        os.write(self.master, frame)

    def close(self) -> None:
        os.close(self.master)
        os.close(self._slave)
