"""SQL of the ingest's scheduled jobs: ``rrs_job_run`` rows and the locks that share them.

What it is: the queue between Odoo (a manager's *Run now*, a row ``requested``)
and the ingests (the nightly run they schedule themselves, and whoever runs
the rows), in one module as every Odoo-table statement is
(``docs/architecture.md``).

How it works: a nightly run is a row whose ``scheduled_for`` is the due
instant; a unique index on (job, scheduled_for) lets every ingest of the
database insert it and only the first succeed. A run is claimed with ``FOR
UPDATE SKIP LOCKED`` and a session-level advisory lock on its id, held by the
claiming connection until the run ends: a row ``running`` whose lock anyone
else can take belongs to an ingest that died, and is marked failed.
"""

from __future__ import annotations

from datetime import datetime

from ingest_core.odoo.sql import UTC_NOW

#: First key of the advisory locks of running jobs (the second is the row id).
LOCK_SPACE = 0x72727331  # "rrs1"


def table_exists(cur) -> bool:
    cur.execute("SELECT to_regclass('rrs_job_run') IS NOT NULL")
    return cur.fetchone()[0]


def schedule(cur, job: str, due: datetime) -> bool:
    """The scheduled run of ``job`` at ``due`` (naive UTC), once whoever asks; True if
    this call made it."""
    cur.execute(f"""
        INSERT INTO rrs_job_run (job, state, scheduled_for, requested_at, create_date,
                                 write_date)
        VALUES (%s, 'requested', %s, {UTC_NOW}, {UTC_NOW}, {UTC_NOW})
        ON CONFLICT (job, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING""",
                (job, due))
    return cur.rowcount == 1


def request(cur, job: str) -> int:
    """A run of ``job`` asked for now (what Odoo's *Refresh forecast* inserts)."""
    cur.execute(f"""
        INSERT INTO rrs_job_run (job, state, requested_at, create_date, write_date)
        VALUES (%s, 'requested', {UTC_NOW}, {UTC_NOW}, {UTC_NOW}) RETURNING id""", (job,))
    return cur.fetchone()[0]


def outcome(cur, run_id: int) -> tuple[str, str | None]:
    """(state, detail) of a run."""
    cur.execute("SELECT state, detail FROM rrs_job_run WHERE id = %s", (run_id,))
    return cur.fetchone()


def claim(cur, node: str) -> tuple[int, str] | None:
    """The oldest requested run, now ``running`` on ``node`` and advisory-locked by this
    session (``release`` it at the end); None when there is none."""
    cur.execute("""
        SELECT id, job FROM rrs_job_run WHERE state = 'requested'
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""")
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, row[0]))
    if not cur.fetchone()[0]:
        return None
    cur.execute(f"""UPDATE rrs_job_run SET state = 'running', started_at = {UTC_NOW},
                           node = %s, write_date = {UTC_NOW} WHERE id = %s""", (node, row[0]))
    return row


def finish(cur, run_id: int, job: str, ok: bool, detail: str) -> None:
    """Settle a run; the requests of the same job made while it ran are served by it."""
    cur.execute(f"""UPDATE rrs_job_run SET state = %s, finished_at = {UTC_NOW}, detail = %s,
                           write_date = {UTC_NOW} WHERE id = %s""",
                ("done" if ok else "failed", detail, run_id))
    cur.execute(f"""
        UPDATE rrs_job_run SET state = 'done', finished_at = {UTC_NOW}, write_date = {UTC_NOW},
               detail = %s
         WHERE job = %s AND state = 'requested' AND id <> %s
           AND requested_at <= (SELECT started_at FROM rrs_job_run WHERE id = %s)""",
                (f"served by run {run_id}", job, run_id, run_id))


def release(cur, run_id: int) -> None:
    cur.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_SPACE, run_id))


def reap(cur) -> list[int]:
    """Runs ``running`` whose ingest is gone (nobody holds their lock): failed."""
    cur.execute("SELECT id FROM rrs_job_run WHERE state = 'running'")
    orphans = []
    for (run_id,) in cur.fetchall():
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, run_id))
        if cur.fetchone()[0]:
            orphans.append(run_id)
            release(cur, run_id)
    if orphans:
        cur.execute(f"""UPDATE rrs_job_run SET state = 'failed', finished_at = {UTC_NOW},
                               write_date = {UTC_NOW},
                               detail = 'interrupted: the ingest running it stopped'
                         WHERE id = ANY(%s) AND state = 'running'""", (orphans,))
    return orphans
