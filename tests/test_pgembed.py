"""The embedded server's WAL preallocation (``EmbeddedPostgres.preallocate_wal``).

Benchmarks call it so that no committing backend creates a WAL segment
during a measured phase, as on a server that has been running: the segments
after the insert position must already exist as files.
"""

from __future__ import annotations

from tests.support.ingest import query


def _segment_after(name: str, steps: int) -> str:
    timeline, log, segment = name[:8], int(name[8:16], 16), int(name[16:], 16)
    number = log * 256 + segment + steps  # 16 MB segments: 256 per log id
    return f"{timeline}{number // 256:08X}{number % 256:08X}"


def test_preallocated_segments_lie_ahead_of_the_insert_position(pg_server):
    dsn = pg_server.dsn("postgres")
    held = pg_server.preallocate_wal(48)
    (current, names), = query(
        dsn, "SELECT pg_walfile_name(pg_current_wal_insert_lsn()), array_agg(name) "
             "FROM pg_ls_waldir()")
    ahead = [_segment_after(current, steps) for steps in (1, 2)]
    assert set(ahead) <= set(names), f"{ahead} not among {sorted(names)}"
    # what it returns is what pg_wal holds (segments only); the checkpoint may have removed
    # older ones, so no comparison with before: the session's server may have written GBs
    segments = [name for name in names if len(name) == 24]
    assert held >= 3 and held == len(segments)
