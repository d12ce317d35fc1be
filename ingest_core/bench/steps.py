"""Where a group commit's and a journal run's time goes, statement by statement.

    .venv/bin/python -m ingest_core.bench.steps [--groups 6] [--devices 16] [--batch 100]
        [--reference-checks batched|triggers]

Builds the genuine Odoo 18 database (``../shared/odoo18``, own schema where
absent) in a private durable PostgreSQL, prepares groups of requests the way
the service does (decode, resolve), runs ``GroupCommitWriter._transaction`` on
each and then one journal run, timing every ``ingest_core.odoo.sql`` call.
Prints JSON. No HTTP, no load generator: this is the database's share.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time

import msgspec

from ingest_core.commit.journal import Journal
from ingest_core.commit.writer import GroupCommitWriter, _Pending
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import catalog, sql, templates
from ingest_core.resolve.devices import provision
from ingest_core.resolve.pipeline import Preparer, decode_body
from ingest_core.resolve.reference import ReferenceData

TIMED = ("find_or_create_lots", "insert_events", "find_quant_ids", "lock_quant_keys",
         "lock_quants", "add_to_quants", "insert_quants",
         "insert_quarantine", "insert_bus_messages", "claim_pending_events", "reserve_ids",
         "insert_pickings", "insert_done_moves", "link_events_to_moves")


def _instrument(timings: dict[str, float]) -> None:
    for name in TIMED:
        original = getattr(sql, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                timings[_name] = timings.get(_name, 0.0) + time.perf_counter() - started

        setattr(sql, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=6)
    parser.add_argument("--devices", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--reference-checks", choices=("batched", "triggers"), default="batched",
                        help="how the journal checks the done moves' foreign keys")
    args = parser.parse_args(argv)
    server = EmbeddedPostgres(durable=True).start()
    try:
        templates.build_best(server, "steps")
        dsn = server.dsn("steps")
        tokens = [provision(dsn, name=f"steps-{n}", allowed=("sale", "receipt"))[1]
                  for n in range(args.devices)]
        reference = ReferenceData(dsn)
        preparer = Preparer(reference)
        writer = GroupCommitWriter(dsn, reference)
        journal = Journal(dsn, reference, reference_checks=args.reference_checks)
        rng = random.Random(1)
        codes = [catalog.ean13(index) for index in range(2000)]
        weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(2000)))
        keys = itertools.count()
        timings: dict[str, float] = {}
        _instrument(timings)
        groups = []
        for _ in range(args.groups):
            pending = []
            for token in tokens:
                body = msgspec.json.encode({"reads": [
                    {"key": f"s{next(keys)}", "code": code,
                     "op": "sale" if rng.random() < 0.9 else "receipt"}
                    for code in rng.choices(codes, cum_weights=weights, k=args.batch)]})
                reads, rejections = decode_body(body, 100_000)
                device = reference.device_for_token(token)
                pending.append(_Pending(preparer.prepare(device, reads, rejections),
                                        lambda _fates: None))
            started = time.perf_counter()
            with writer._db.cursor() as cur:
                writer._transaction(cur, pending)
            writer._db.commit()
            groups.append(round((time.perf_counter() - started) * 1000, 1))
        writer_timings = {k: round(v * 1000, 1) for k, v in timings.items()}
        timings.clear()
        started = time.perf_counter()
        events = journal.run_once()
        journal_ms = round((time.perf_counter() - started) * 1000, 1)
        with writer._db.cursor() as cur:
            cur.execute("SELECT count(DISTINCT m) FROM rrs_event_batch, unnest(move_ids) m")
            moves = cur.fetchone()[0]
        reads = args.groups * args.devices * args.batch
        print(json.dumps({
            "reads": reads, "group_commit_ms": groups,
            "writer_sql_ms": writer_timings, "writer_us_per_read": round(
                sum(groups) * 1000 / reads, 1),
            "journal": {"events": events, "moves": moves, "ms": journal_ms,
                        "sql_ms": {k: round(v * 1000, 1) for k, v in timings.items()}},
        }, indent=2))
        reference.stop()
        writer.stop()
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
