"""Odoo's own test suites (``stock``, ``stock_account``, ``point_of_sale``) with the add-on loaded.

What it is: ``python -m ingest_core.tools.odoo_suites [--modules stock,...]
[--files PATTERN] [--json FILE]`` on the live Odoo harness (``docs/live-odoo.md``):
does the add-on break anything Odoo's own modules test? Every test of a
module, its *at-install* tests too, which Odoo normally runs while the module
installs, before the add-on that depends on it is even loaded, so they would
prove nothing about the add-on there.

How it works: one database from the harness's template with the add-on
installed; then, for each ``tests/test_*.py`` file of each module, ``odoo-bin
--test-file FILE``: Odoo loads the registry with every installed module (the
add-on included) and the HTTP server (browser tours need it), and runs every
test case of that file, whatever its install position. ``--test-tags`` names
no module, so the post-install phase that follows runs nothing more. The
outcome per file (tests run, failures, errors, seconds, the FAIL/ERROR lines
and their tracebacks) is printed as a table and written as JSON;
``docs/odoo-suites.md`` keeps a run's figures. A file with a failure runs again
on a second database with the add-on's dependencies only (stock_account among
them, which stock's own CI never loads with stock's tests): a test failing on
both is Odoo's own, one failing only with the add-on is the add-on's.

Each odoo-bin runs with ``TMPDIR`` in a directory of the run, removed at its end: the
browser tours' Chrome profiles and Odoo's ``odoo_tests`` screenshots stay out of /tmp.

Caveats: one odoo-bin per file costs the registry's load (15-20 s here) each
time; the database is shared by the files (Odoo's test cases roll back what
they write). The fetched 18.0 tree serves its web client at ``/qplexity``:
tours that start at ``/odoo/...`` fail with or without the add-on (a harness
artefact, listed by ``KNOWN_ARTEFACTS``).
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from ingest_core.bench.odoo_live import (
    ADDON,
    REPO_ADDONS,
    LiveOdoo,
    LiveOdooUnavailable,
    addons_path,
)

MODULES = ("stock", "stock_account", "point_of_sale")
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ ")
BAD = re.compile(r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) \S+ (\S+): (?:FAIL|ERROR): (\S+)")
#: Tests that fail on the fetched tree with or without the add-on (issue 20): its web
#: client is served at /qplexity, and these tours open /odoo/... .
KNOWN_ARTEFACTS = ("test_picking_tours", "test_report_tours")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_files(live: LiveOdoo, modules: list[str], pattern: str) -> list[tuple[str, Path]]:
    """(module, test file) of every module, from the Odoo tree the harness runs."""
    roots = [Path(part) for part in addons_path(live.conf).split(",")]
    found = []
    for module in modules:
        tests = next((root / module / "tests" for root in roots
                      if (root / module / "tests").is_dir()), None)
        if tests is None:
            raise SystemExit(f"module {module} has no tests directory in {roots}")
        found += [(module, path) for path in sorted(tests.glob("test_*.py"))
                  if fnmatch.fnmatch(path.name, pattern)]
    return found


def run_file(live: LiveOdoo, dbname: str, path: Path, timeout: float,
             scratch: Path | None = None) -> dict:
    """One test file in its own odoo-bin. Its temporary files (the browser tours' Chrome
    profiles, Odoo's ``odoo_tests`` screenshots) go to ``scratch``, which the caller
    removes: nothing is left in /tmp."""
    started = time.monotonic()
    try:
        done = live.odoo("-c", live.conf, "--addons-path", addons_path(live.conf), "-d", dbname,
                         "--test-enable", "--test-tags", "/rrs_no_such_module",
                         "--test-file", str(path), "--stop-after-init",
                         "--http-interface=127.0.0.1", f"--http-port={_free_port()}",
                         f"--gevent-port={_free_port()}", "--log-level=info",
                         "--max-cron-threads=0", timeout=timeout,
                         env={"TMPDIR": str(scratch)} if scratch else None)
        output = done.stdout + done.stderr
        code = done.returncode
    except Exception as error:  # noqa: BLE001 - a timeout is one file's outcome, not the run's
        output, code = f"{type(error).__name__}: {error}", None
    counts = RESULT.findall(output)
    failed, errors, tests = map(int, counts[-1]) if counts else (0, 0, 0)
    bad, traces = [], {}
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if match := BAD.match(line):
            bad.append(match.group(2))
            trace = []
            for following in lines[number + 1:number + 60]:
                if LOG_LINE.match(following):
                    break
                trace.append(following)
            traces[match.group(2)] = "\n".join(trace[-25:])
    ran = re.findall(r"running tests (\S+)\.", output)
    return {"file": path.name, "tests": tests, "failed": failed, "errors": errors,
            "exit": code, "seconds": round(time.monotonic() - started, 1), "bad": bad,
            "loaded": bool(ran), "artefact": path.stem in KNOWN_ARTEFACTS, "traces": traces,
            "tail": "" if (code == 0 and not bad) else "\n".join(output.splitlines()[-15:])}


def _depends() -> str:
    """The add-on's dependencies, from its manifest: the database without the add-on."""
    manifest = ast.literal_eval((REPO_ADDONS / ADDON / "__manifest__.py").read_text())
    return ",".join(manifest["depends"])


def _database(live: LiveOdoo, name: str, modules: str) -> str:
    live.create_db(name, os.environ.get("RTSTOCK_ODOO_TEMPLATE", "rrs_base"))
    live.install(name, modules)
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--files", default="test_*.py", help="file name pattern")
    parser.add_argument("--json", type=Path, help="write the per-file results here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per file")
    parser.add_argument("--no-baseline", action="store_true",
                        help="do not run failing files again on a database without the "
                             "add-on (its dependencies only)")
    args = parser.parse_args(argv)
    try:
        live = LiveOdoo.from_env()
    except LiveOdooUnavailable as why:
        print(f"no live Odoo: {why} (docs/live-odoo.md)", file=sys.stderr)
        return 2
    with_addon, without = f"rrs_suites_{os.getpid()}", f"rrs_suites_{os.getpid()}_base"
    scratch = Path(tempfile.mkdtemp(prefix="rrs-suites-"))
    results = []
    started = time.monotonic()
    baseline = None
    try:
        _database(live, with_addon, ADDON)
        for module, path in test_files(live, args.modules.split(","), args.files):
            result = {"module": module,
                      **run_file(live, with_addon, path, args.timeout, scratch)}
            if (result["exit"] != 0 or result["bad"]) and not args.no_baseline:
                baseline = baseline or _database(live, without, _depends())
                base = run_file(live, baseline, path, args.timeout, scratch)
                result["bad_without_addon"] = base["bad"]
                result["exit_without_addon"] = base["exit"]
            result["addon_only"] = sorted(set(result["bad"])
                                          - set(result.get("bad_without_addon", ())))
            results.append(result)
            flag = ("ok" if result["exit"] == 0 and not result["bad"] else "ARTEFACT"
                    if result["artefact"] else "ADD-ON" if result["addon_only"] or (
                        result["exit"] != 0 and result.get("exit_without_addon") == 0)
                    else "ODOO'S OWN" if "bad_without_addon" in result else "FAILED")
            print(f"{module:15} {path.name:40} {result['tests']:4} tests "
                  f"{result['failed']:3} failed {result['errors']:3} errors "
                  f"{result['seconds']:7.1f} s  {flag}", flush=True)
    finally:
        live.drop_db(with_addon)
        live.drop_db(without)
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {
        "modules": args.modules.split(","), "files": len(results),
        "tests": sum(r["tests"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "seconds": round(time.monotonic() - started, 1),
        # Failing with the add-on and not without it (or not compared): the add-on's.
        "unexplained": [f"{r['module']}/{r['file']}" for r in results
                        if (r["addon_only"] or (r["exit"] != 0 and r.get("exit_without_addon")
                                                 in (0, None)))
                        and not r["artefact"]],
        "results": results}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, indent=2))
    return 1 if summary["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
