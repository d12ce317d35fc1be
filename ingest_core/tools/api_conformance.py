"""Generated requests against the ingest's own OpenAPI document (schemathesis), as devices
of every kind: no 5xx, no crash, every refusal a 4xx with a message, the document true.

What it is: ``python -m ingest_core.tools.api_conformance [--max-examples N] [--seed S]
[--json FILE]``. It starts its own PostgreSQL with the genuine Odoo 18 database
(``../shared/odoo18``) and the add-on's tables, a device of each kind the routes serve
(a scanner allowed every operation, an exit gate, a dock reader, a count handheld
with an open session), an EPCIS partner, and ``rtstock serve``; then runs
``st run <ingest>/openapi.json`` with every check once per device token. It prints a
table and JSON: test cases generated and failed per device (a 5xx is a failure of
schemathesis's ``not_a_server_error`` check), and the checks afterwards: the ingest
still answers, no group commit fell back to one-request commits, its log holds no
traceback, and every quarantined read has a reason code and a reason.
``tests/test_openapi_conformance.py`` runs the same with a small ``--max-examples`` in
CI; ``docs/reliability.md`` keeps a large run's figures.

How it works: schemathesis generates, per operation, requests the schema allows (each
must be taken: 2xx, or 401/403/404/409 by the rules) and requests it refuses (each
must be answered 4xx), plus its coverage phase's edge cases, and checks every
response against the document (status codes, content types, bodies). The Alien
route's text body is excluded from the two data checks (what the parser takes is not
a regular language: ``ingest_core.api.openapi``); the EPCIS route gets the partner's
token through the configuration file this writes, and is excluded from the check that
every request the schema allows is taken: its 31-day window relates two parameters,
and its vocabularies and EPC patterns are grammars (its refusals are still checked).

Caveats: loopback only; the run writes into a throwaway database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
[[operations]]
include-path = "/v1/rfid/alien"
checks.positive_data_acceptance.enabled = false
checks.negative_data_rejection.enabled = false

[[operations]]
include-path = "/epcis/events"
headers = { Authorization = "Bearer ${RTSTOCK_ST_PARTNER_TOKEN}" }
checks.positive_data_acceptance.enabled = false
"""
_CASES = re.compile(r"(\d+) generated, (?:(\d+) found (\d+) unique failures?|(\d+) passed)")


def _st() -> str:
    found = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    if not Path(found).exists():
        raise SystemExit("schemathesis is not installed (pip install -e '.[test]')")
    return found


def run_schemathesis(url: str, token: str, partner_token: str, *, max_examples: int,
                     seed: int | None, workdir: Path, max_time: int | None = None) -> dict:
    """One ``st run`` as the device of ``token``: exit code, cases generated, failures."""
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [_st(), "--config-file", str(config), "run", f"{url}/openapi.json",
               "-H", f"Authorization: Bearer {token}", "--max-examples", str(max_examples),
               "--no-color"]
    if seed is not None:
        command += ["--seed", str(seed)]
    if max_time:  # fuzzing goes on until the budget is spent
        command += ["--max-time", str(max_time)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=workdir, check=False,
                          env=dict(os.environ, RTSTOCK_ST_PARTNER_TOKEN=partner_token))
    matches = list(_CASES.finditer(done.stdout))  # the summary's is the last
    match = matches[-1] if matches else None
    generated = int(match.group(1)) if match else 0
    failures = int(match.group(3) or 0) if match else None
    return {"exit": done.returncode, "generated": generated, "failures": failures,
            "seconds": round(time.monotonic() - started, 1),
            "output": done.stdout[-20000:] + done.stderr[-4000:]}


def _devices(dsn: str) -> dict[str, str]:
    """A device of each kind the routes serve, and an EPCIS partner: name -> token."""
    import psycopg2

    from ingest_core.resolve.devices import provision
    from ingest_core.resolve.reference import hash_token

    tokens = {"scanner": provision(dsn, name="ST-SCANNER", kind="scanner")[1],
              "exit_gate": provision(dsn, name="ST-EXIT", kind="rfid_fixed",
                                     rfid_role="exit")[1],
              "dock": provision(dsn, name="ST-DOCK", kind="rfid_fixed", rfid_role="dock")[1],
              "count": provision(dsn, name="ST-COUNT", kind="rfid_handheld",
                                 rfid_role="count", allowed=["count"])[1]}
    partner = f"st-partner-{secrets.token_urlsafe(12)}"
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cur:
        cur.execute("INSERT INTO rrs_epcis_partner (name, all_products, token_hash, active, "
                    "company_id) VALUES ('schemathesis', true, %s, true, 1)",
                    (hash_token(partner),))
    connection.close()
    tokens["partner"] = partner
    return tokens


def _quarantine_without_reason(dsn: str) -> tuple[int, int]:
    import psycopg2

    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE coalesce(reason_code, '') = '' "
                    "OR coalesce(reason, '') = '') FROM rrs_quarantine")
        total, bare = cur.fetchone()
    connection.close()
    return total, bare


def conformance(max_examples: int, seed: int | None, workdir: Path,
                max_time: int | None = None) -> dict:
    """The whole run on a PostgreSQL of its own (see the module docstring)."""
    from ingest_core.db.pgembed import EmbeddedPostgres
    from ingest_core.odoo import templates

    source = templates.shared_odoo18_dir()
    if source is None:
        raise SystemExit("the genuine Odoo 18 database (../shared/odoo18) is needed")
    with EmbeddedPostgres(durable=False) as server:
        templates.build_real(server, "st_template", source)
        templates.with_addon(server, "st_template")
        dsn = templates.clone(server, "st_template", "st_run")
        return conformance_on(dsn, max_examples, seed, workdir, max_time)


def conformance_on(dsn: str, max_examples: int, seed: int | None, workdir: Path,
                   max_time: int | None = None) -> dict:
    """The run against an ingest on ``dsn`` (an Odoo database with the add-on's tables)."""
    import httpx

    from ingest_core.bench.process import IngestProcess, fallbacks_of

    tokens = _devices(dsn)
    partner = tokens.pop("partner")
    with IngestProcess(dsn, log_dir=workdir, fail_on_fallback=False) as ingest:
        httpx.post(f"{ingest.url}/v1/count-sessions", json={}, timeout=30,
                   headers={"Authorization": f"Bearer {tokens['count']}"})
        runs = {name: run_schemathesis(ingest.url, token, partner,
                                       max_examples=max_examples, seed=seed, workdir=workdir,
                                       max_time=max_time)
                for name, token in tokens.items()}
        alive = httpx.get(f"{ingest.url}/healthz", timeout=30).status_code
        fallbacks = fallbacks_of(httpx.get(f"{ingest.url}/metrics", timeout=30).content)
        log = ingest.log_path.read_bytes()
    quarantined, bare = _quarantine_without_reason(dsn)
    return {
        "max_examples": max_examples, "seed": seed,
        "devices": {name: {k: v for k, v in run.items() if k != "output"}
                    for name, run in runs.items()},
        "generated": sum(run["generated"] for run in runs.values()),
        "failures": sum(run["failures"] or 0 for run in runs.values()),
        "checks": {"healthz_after": alive, "group_fallbacks": fallbacks,
                   "tracebacks_in_log": log.count(b"Traceback"),
                   "quarantined": quarantined, "quarantined_without_reason": bare},
        "outputs": {name: run["output"] for name, run in runs.items()
                    if run["exit"] != 0},
    }


def passed(result: dict) -> bool:
    checks = result["checks"]
    return (all(run["exit"] == 0 for run in result["devices"].values())
            and checks["healthz_after"] == 200
            and checks["group_fallbacks"] == 0 and checks["tracebacks_in_log"] == 0
            and checks["quarantined_without_reason"] == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=100,
                        help="schemathesis's examples per operation and phase")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-time", type=int, default=None,
                        help="seconds per device: fuzzing repeats until they are spent")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    # SIGTERM runs the clean-up (the database server, the ingest, the work directory)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="rtstock-st-"))
    try:
        result = conformance(args.max_examples, args.seed, workdir, args.max_time)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for name, output in result.pop("outputs").items():
        print(f"--- schemathesis as {name} ---\n{output}", file=sys.stderr)
    print(f"{'device':<10} {'cases':>8} {'failures':>8} {'seconds':>8}")
    for name, run in result["devices"].items():
        print(f"{name:<10} {run['generated']:>8} {run['failures']!s:>8} {run['seconds']:>8}")
    print(f"checks: {result['checks']}")
    ok = passed(result)
    result["passed"] = ok
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
