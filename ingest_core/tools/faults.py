"""Faults under load: the database restarted, its connections killed or its disk full,
the ingest SIGKILLed, the store agent's link cut, while devices post and resend;
afterwards, every acked read applied exactly once and the stock equal to the applied
reads.

What it is: ``python -m ingest_core.tools.faults [--faults ingest_kill,pg_terminate,
pg_fast,pg_immediate,disk_full,link_cut] [--rounds 2] [--devices 8] [--rate 4000]
[--json FILE]``. It starts
a durable PostgreSQL (``synchronous_commit`` on: an ack is a flushed commit) with the
genuine Odoo 18 database and the add-on's tables, ``rtstock serve``, and scanner devices
posting batches of 50 reads at ``rate`` reads/s in all, each resending a batch until it
is answered 200, as the store agent does. While they post, each fault runs ``rounds``
times, a few seconds apart:

* ``ingest_kill``: SIGKILL the ingest (writer, journal and all), start it again;
* ``pg_terminate``: ``pg_terminate_backend`` every connection of the ingest;
* ``pg_fast`` / ``pg_immediate``: stop PostgreSQL (``-m fast``: sessions ended,
  a checkpoint; ``-m immediate``: the processes killed, crash recovery at the next
  start) and start it again after a second;
* ``disk_full``: fill the filesystem under the database (a tmpfs the tool mounts:
  ``disk_full``) for ``hold_s`` seconds, then free it, and start PostgreSQL again if it
  stopped (a failed WAL write is a PANIC, and recovery needs room);
* ``link_cut``: the real store agent (two pty scanners, ``agent_load``) posts through a
  link that goes silent for ``hold_s`` seconds (``link_cutter``: requests in flight
  lose their answers), then comes back resetting the connections it held.

It reports, per fault, the outage (a killed ingest until its restart answers
``/healthz``; a stopped database until it is started again; a full disk or a cut link
until it is freed or restored; none for terminated connections) and how long after it
the devices (for ``link_cut``, the agent) got their first ack. At the end: the
reads acked, acked reads missing from the event log (lost), reads stored twice,
whether every stock quant equals its opening plus the acked reads and the journal's
done move lines equal them too, and the group commits that fell back to one-request
commits (while the database is down the writer retries each request alone and answers
503; the device resends).

How it works: the checks are the exactly-once test's (``tests/test_exactly_once.py``)
over everything a run acked. ``tests/test_faults.py`` runs every fault once in CI;
``docs/reliability.md`` keeps a longer run's figures.

Caveats: loopback only. ``disk_full`` needs root (it mounts a tmpfs). The load is the
scanners' (``/v1/reads``) and the agent's; RFID readers' resends are made idempotent by
EPC states (``tests/test_rfid_ingest.py``); the agent's own SIGKILL is
``tests/test_agent_e2e.py``'s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest_core.tools import disk_full
from ingest_core.tools.agent_load import AgentLoad

FAULTS = ("ingest_kill", "pg_terminate", "pg_fast", "pg_immediate", "disk_full", "link_cut")
#: How long a full disk or a cut link lasts.
HOLD_S = 3.0
#: The tmpfs under the database for ``disk_full``: the genuine database, its WAL and a
#: few minutes of load fit.
TMPFS_MB = 1536
S01_STOCK, S02_STOCK, CUSTOMERS, VENDORS = 18, 24, 5, 4
BATCH = 50


@dataclass
class _Load:
    """What the devices sent and when they were answered."""

    sent: dict[str, dict] = field(default_factory=dict)
    location: dict[str, int] = field(default_factory=dict)  # read key -> its store
    acked: set[str] = field(default_factory=set)
    ack_times: list[float] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_ack_after(self, moment: float, timeout: float = 120.0) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                later = [at for at in self.ack_times[-5000:] if at > moment]
            if later:
                return min(later)
            time.sleep(0.01)
        return None


def _device_loop(url: str, token: str, name: str, location: int, per_device_rate: float,
                 load: _Load, stop: threading.Event, seed: int) -> None:
    import httpx

    from ingest_core.odoo.catalog import ean13

    rng = random.Random(seed)
    client = httpx.Client(timeout=10)
    number = 0
    interval = BATCH / per_device_rate
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            reads = [{"key": f"{name}:{number:06d}:{i:02d}", "code": ean13(rng.randrange(20)),
                      "op": rng.choice(("sale", "receipt")), "qty": rng.randint(1, 3)}
                     for i in range(BATCH)]
            number += 1
            with load.lock:
                for read in reads:
                    load.sent[read["key"]] = read
                    load.location[read["key"]] = location
            while True:  # resend until answered, as the store agent does
                try:
                    response = client.post(f"{url}/v1/reads", json={"reads": reads},
                                           headers={"Authorization": f"Bearer {token}"})
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                with load.lock:
                    load.answers[str(status)] = load.answers.get(str(status), 0) + 1
                if status == 200:
                    results = response.json()["results"]
                    with load.lock:
                        load.ack_times.append(time.monotonic())
                        load.acked.update(r["key"] for r in results
                                          if r["status"] in ("applied", "duplicate"))
                    break
                time.sleep(0.05)
            next_at += interval
            time.sleep(max(next_at - time.monotonic(), 0.0))
    finally:
        client.close()


def _terminate_ingest_connections(server, dbname: str) -> int:
    import psycopg2

    connection = psycopg2.connect(server.dsn("postgres"))
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
        killed = cur.fetchone()[0]
    connection.close()
    return killed


def _inject(fault: str, server, ingest, dbname: str, load: _Load,
            agent: AgentLoad | None = None) -> dict:
    """One fault; returns its timings (seconds)."""
    started = time.monotonic()
    result: dict = {"fault": fault}
    if fault == "ingest_kill":
        ingest.kill()
        ingest.start()  # returns once /healthz answers
    elif fault == "pg_terminate":
        result["connections_killed"] = _terminate_ingest_connections(server, dbname)
    elif fault == "disk_full":
        log = server.base / "server.log"
        logged = log.stat().st_size
        result["filled_mb"] = round(disk_full.fill(server.base) / 2**20, 1)
        # The WAL needs a new segment now, as it does every 16 MB: its file cannot be
        # made either (a PANIC, not only the tables' "could not extend").
        result["wal_switch_error"] = _switch_wal(server)
        time.sleep(HOLD_S)
        disk_full.free(server.base)
        result["database_started_again"] = _start_if_stopped(server)
        with log.open("rb") as text:  # what PostgreSQL said of it, once it could write
            text.seek(logged)
            said = text.read().decode(errors="replace")
        # (The PANIC itself is not in the log: it had no room to write it either.)
        result["database_crash_recovery"] = "database system was interrupted" in said
    elif fault == "link_cut":
        agent.link.cut()
        time.sleep(HOLD_S)
        agent.link.restore()
    else:
        mode = "fast" if fault == "pg_fast" else "immediate"
        server._run(str(server.bindir / "pg_ctl"), "-D", str(server.datadir), "-m", mode,
                    "-w", "stop", check=False)
        time.sleep(1.0)
        server.start()
    back = started if fault == "pg_terminate" else time.monotonic()
    answered = agent.first_ack_after() if fault == "link_cut" else load.first_ack_after(back)
    result.update(outage_s=round(back - started, 2),
                  answers_again_after_s=round(answered - back, 2) if answered else None)
    return result


def _switch_wal(server) -> str | None:
    """``pg_switch_wal()``; what PostgreSQL answered if it failed."""
    import psycopg2

    try:
        connection = psycopg2.connect(server.dsn("postgres"), connect_timeout=5)
    except psycopg2.OperationalError as exc:
        return str(exc).strip()
    try:
        connection.autocommit = True
        with connection.cursor() as cur:
            cur.execute("SELECT pg_switch_wal()")
        return None
    except psycopg2.Error as exc:
        return str(exc).strip().splitlines()[0]
    finally:
        connection.close()


def _start_if_stopped(server, timeout: float = 30.0) -> bool:
    """Wait until PostgreSQL accepts connections again, starting it if it stopped (after
    a PANIC it restarts itself, unless crash recovery found no room); True if it had to
    be started."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            psycopg2.connect(server.dsn("postgres"), connect_timeout=2).close()
            return False
        except psycopg2.OperationalError:
            pass
        status = server._run(str(server.bindir / "pg_ctl"), "-D", str(server.datadir),
                             "status", check=False)
        if status.returncode != 0:  # no server running: it gave up
            server.start()
            return True
        time.sleep(0.25)
    raise TimeoutError("PostgreSQL neither answers nor stopped after the disk was freed")


def expected_deltas(reads: Iterable[tuple[dict, int]]) -> dict[tuple[int, int], float]:
    """Per (product, location): what (read, its device's location) pairs change, each
    applied once: sales and receipts of the dump's products (``ean13`` codes)."""
    expected: dict[tuple[int, int], float] = {}
    for read, location in reads:
        product_id = int(read["code"][8:12]) + 2
        source, destination = ((location, CUSTOMERS) if read["op"] == "sale"
                               else (VENDORS, location))
        expected[(product_id, source)] = expected.get((product_id, source), 0) - read["qty"]
        expected[(product_id, destination)] = (expected.get((product_id, destination), 0)
                                               + read["qty"])
    return expected


def _expected_quants(load: _Load) -> dict[tuple[int, int], float]:
    return expected_deltas((load.sent[key], load.location[key]) for key in load.acked)


def _rows(dsn: str, statement: str) -> list[tuple]:
    import psycopg2

    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall()
    finally:
        connection.close()


def _quants(dsn: str) -> dict[tuple[int, int], float]:
    return {(p, loc): float(q) for p, loc, q in _rows(
        dsn, "SELECT product_id, location_id, sum(quantity) FROM stock_quant "
             "GROUP BY product_id, location_id")}


def faults_on(server, dbname: str, *, faults: list[str], rounds: int, devices: int,
              rate: float, workdir: Path, gap_s: float = 3.0) -> dict:
    """The run against ``dbname`` on the durable ``server`` (see the module docstring)."""
    from ingest_core.bench.process import IngestProcess
    from ingest_core.commit.journal import wait_drained
    from ingest_core.resolve.devices import provision

    dsn = server.dsn(dbname)
    opening = _quants(dsn)
    stores = [(2, S01_STOCK), (3, S02_STOCK)]
    tokens = [(f"fault-{n}", *stores[n % 2],
               provision(dsn, name=f"fault-{n}", warehouse_id=stores[n % 2][0],
                         location_id=stores[n % 2][1])[1]) for n in range(devices)]
    load, stop = _Load(), threading.Event()
    ingest = IngestProcess(dsn, log_dir=workdir, fail_on_fallback=False).start()
    threads = [threading.Thread(target=_device_loop, daemon=True,
                                args=(ingest.url, token, name, location, rate / devices, load,
                                      stop, n))
               for n, (name, _warehouse, location, token) in enumerate(tokens)]
    for thread in threads:
        thread.start()
    agent = None
    if "link_cut" in faults:
        agent = AgentLoad(ingest.port, provision(dsn, name="link-agent")[1], S01_STOCK,
                          workdir / "agent").start()
    injected, agent_reads, agent_left, agent_figures = [], 0, 0, {}
    started = time.monotonic()
    try:
        time.sleep(gap_s)
        for _round in range(rounds):
            for fault in faults:
                injected.append(_inject(fault, server, ingest, dbname, load, agent))
                time.sleep(gap_s)
        stop.set()
        for thread in threads:
            thread.join(120)
        if agent is not None:  # every read the agent took is answered, then counted
            reads, locations, agent_left = agent.drain()
            agent_reads = len(reads)
            agent_figures = agent.figures()
            load.sent.update(reads)
            load.location.update(locations)
            load.acked.update(reads)
        seconds = time.monotonic() - started
        wait_drained(dsn, 120)
    finally:
        stop.set()
        if agent is not None:
            agent.stop()
        ingest.stop()
    stored = _rows(dsn, "SELECT read_key, count(*) FROM rrs_event WHERE read_key "
                        "LIKE 'fault-%' OR read_key LIKE 'link-%' GROUP BY 1")
    stored_keys = {key for key, _n in stored}
    expected = _expected_quants(load)
    final = _quants(dsn)
    quants_ok = all(abs(final.get(key, 0) - opening.get(key, 0) - delta) < 1e-6
                    for key, delta in expected.items())
    moved: dict[tuple[int, int], float] = {}
    for product, source, destination, quantity in _rows(dsn, """
            SELECT product_id, location_id, location_dest_id, sum(quantity)
              FROM stock_move_line
             WHERE move_id IN (SELECT move_id FROM rrs_event_move) GROUP BY 1, 2, 3"""):
        moved[(product, source)] = moved.get((product, source), 0) - float(quantity)
        moved[(product, destination)] = moved.get((product, destination), 0) + float(quantity)
    moves_ok = all(abs(moved.get(key, 0) - expected.get(key, 0)) < 1e-6
                   for key in moved.keys() | expected.keys())
    return {
        "faults": injected, "seconds": round(seconds, 1), "devices": devices,
        "rate_target": rate, "reads_acked": len(load.acked),
        "reads_per_s": round(len(load.acked) / seconds, 1),
        "answers": dict(sorted(load.answers.items())),
        "lost": len(load.acked - stored_keys),
        "stored_twice": sum(1 for _k, n in stored if n > 1),
        "stored_not_acked": len(stored_keys - load.acked),
        "quants_equal_opening_plus_acked": quants_ok,
        "done_moves_equal_acked": moves_ok,
        "group_fallbacks": ingest.fallbacks,
        "agent_reads": agent_reads,
        "agent": agent_figures,
        "agent_reads_left_queued": agent_left,
    }


def passed(result: dict) -> bool:
    return (result["lost"] == 0 and result["stored_twice"] == 0
            and result["agent_reads_left_queued"] == 0
            and result["quants_equal_opening_plus_acked"] and result["done_moves_equal_acked"]
            and all(f["answers_again_after_s"] is not None for f in result["faults"]))


def main(argv: list[str] | None = None) -> int:
    import shutil
    import tempfile

    from ingest_core.db.pgembed import EmbeddedPostgres
    from ingest_core.odoo import templates

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--rate", type=float, default=4000.0, help="reads/s in all")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    # SIGTERM runs the clean-up (the database server, the ingest, the work directory)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    faults = args.faults.split(",")
    if unknown := set(faults) - set(FAULTS):
        parser.error(f"unknown fault(s) {sorted(unknown)}; one of {FAULTS}")
    source = templates.shared_odoo18_dir()
    if source is None:
        print("the genuine Odoo 18 database (../shared/odoo18) is needed", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="rtstock-faults-"))
    try:
        with contextlib.ExitStack() as stack:
            # disk_full: the whole cluster on a tmpfs of its own, which the fault fills.
            base = (stack.enter_context(disk_full.tmpfs(TMPFS_MB))
                    if "disk_full" in faults else None)
            server = stack.enter_context(EmbeddedPostgres(base, durable=True))
            templates.build_real(server, "faults", source)
            templates.with_addon(server, "faults")
            result = faults_on(server, "faults", faults=faults, rounds=args.rounds,
                               devices=args.devices, rate=args.rate, workdir=workdir)
    except disk_full.DiskFullUnavailable as exc:
        print(f"{exc}; or leave disk_full out of --faults", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'fault':<14} {'outage s':>9} {'answers again after s':>22}")
    for fault in result["faults"]:
        print(f"{fault['fault']:<14} {fault['outage_s']:>9} "
              f"{fault['answers_again_after_s']!s:>22}")
    result["passed"] = passed(result)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
