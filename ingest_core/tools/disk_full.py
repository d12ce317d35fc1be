"""The database's disk full, for the fault tool: a small tmpfs under the data directory,
filled to the last byte while devices post, then freed.

Why: a store server's disk fills (logs, a backup left behind); PostgreSQL then fails to
extend a table (an error for that transaction) or to write its WAL (a PANIC: every
session ends, and crash recovery cannot finish until there is room). Neither may lose a
read the ingest acknowledged, and the ingest must answer again once there is room.

How it works: ``tmpfs`` mounts a tmpfs of a given size (root only, as ``mount`` is);
``fill`` writes a file until the filesystem refuses a byte more; ``free`` removes it.
``fill`` refuses any filesystem that is not a tmpfs, so the tool can never fill a real
disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

FILLER = "rtstock-disk-full.filler"


class DiskFullUnavailable(RuntimeError):
    """No tmpfs can be mounted here (not root, or no ``mount``)."""


@contextlib.contextmanager
def tmpfs(size_mb: int) -> Iterator[Path]:
    """A tmpfs of ``size_mb`` mounted for the block (a new directory in the system's
    temporary directory, which the database's own user can reach); unmounted after."""
    path = Path(tempfile.mkdtemp(prefix="rtstock-tmpfs-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0777",
                             "tmpfs", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        path.rmdir()
        reason = result.stderr.strip() or f"mount exited {result.returncode}"
        raise DiskFullUnavailable(f"cannot mount a tmpfs for the disk-full fault ({reason}): "
                                  "it needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            path.rmdir()


def filesystem_type(path: Path) -> str:
    """The type of the filesystem ``path`` is on (the longest mount point above it)."""
    target = os.path.realpath(path)
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        _device, mount_point, fs_type, *_rest = line.split()
        mount_point = mount_point.replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and \
                len(mount_point) > len(best):
            best, kind = mount_point, fs_type
    return kind


def fill(path: Path) -> int:
    """Fill the tmpfs holding ``path`` (a file in ``path``); returns the bytes written."""
    if filesystem_type(path) != "tmpfs":
        raise ValueError(f"{path} is not on a tmpfs: the disk-full fault fills tmpfs only")
    written = 0
    fd = os.open(path / FILLER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = b"\0" * (1 << 20)
        while len(chunk) >= 512:
            try:
                written += os.write(fd, chunk)
            except OSError:  # ENOSPC: try smaller writes for the last pages
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    return written


def free(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (path / FILLER).unlink()
