"""The role guides' screenshots (docs/guides/), remade from the running add-on.

    .venv/bin/python -m ingest_core.tools.guide_screens [--out docs/guides/img] [--role ROLE]

What it does: on the live Odoo 18 the environment describes (``docs/live-odoo.md``;
``RTSTOCK_ODOO_BIN``, ``RTSTOCK_ODOO_PYTHON``, ``RTSTOCK_ODOO_CONF``), installs the add-on
on a fresh database and runs its ``rrs_guides`` test class (the add-on's
``tests/test_guide_screens.py``), which opens each screen a guide shows as the role that
uses it, in Odoo's own headless Chromium, and writes one PNG per screen into ``--out``.
The database and the browser's temporary files are removed at the end.

Why a test class: Odoo's test browser is the one way to drive the web client logged in
as a given user with data made for the picture, and it is what the tours already use.
Exit status 0 when every screenshot was written, else 1 with Odoo's log tail.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

from ingest_core.bench.odoo_live import ADDON, LiveOdoo, LiveOdooUnavailable, addons_path

REPO = Path(__file__).resolve().parents[2]
#: What the guides show (``docs/guides/*.md`` name these files).
SCREENS = ("cashier-pos", "cashier-tour", "staff-live-stock", "staff-count", "manager-alerts",
           "manager-dashboard", "backoffice-devices", "backoffice-quarantine",
           "backoffice-training-reads")
#: ``--role``: the test method that takes a role's screens, and their files' prefix.
ROLES = {"cashier": ("test_cashier_screens", "cashier-"),
         "staff": ("test_store_staff_screens", "staff-"),
         "manager": ("test_store_manager_screens", "manager-"),
         "backoffice": ("test_back_office_screens", "backoffice-")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _failures(lines: list[str], after: int = 30) -> list[str]:
    """Each ERROR or FAIL record of Odoo's log with the lines that follow it (traceback)."""
    kept: list[str] = []
    for number, line in enumerate(lines):
        if " ERROR " in line or " FAIL" in line:
            kept += [*lines[number:number + after], "..."]
    return kept or lines[-60:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "guides" / "img")
    parser.add_argument("--role", choices=sorted(ROLES),
                        help="only this role's screens (default: every role's)")
    args = parser.parse_args(argv)
    tags, screens = f"rrs_guides/{ADDON}", SCREENS
    if args.role:
        method, prefix = ROLES[args.role]
        tags += f":TestGuideScreens.{method}"
        screens = tuple(name for name in SCREENS if name.startswith(prefix))
    try:
        live = LiveOdoo.from_env()
    except LiveOdooUnavailable as why:
        print(f"no live Odoo 18: {why} (docs/live-odoo.md)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    dbname = f"rrs_guides_{int(started)}"
    try:
        with tempfile.TemporaryDirectory(prefix="rtstock-guides-") as scratch:
            done = live.odoo(
                "-c", live.conf, "--addons-path", addons_path(live.conf), "-d", dbname,
                "-i", ADDON, "--test-enable", "--test-tags", tags,
                "--stop-after-init", "--without-demo=all", "--log-level=info",
                "--http-interface=127.0.0.1", f"--http-port={_free_port()}",
                f"--gevent-port={_free_port()}", "--max-cron-threads=0",
                env={"TMPDIR": scratch, "RTSTOCK_GUIDES_OUT": str(args.out.resolve())})
    finally:
        live.drop_db(dbname)
    written = [name for name in screens
               if (args.out / f"{name}.png").exists()
               and (args.out / f"{name}.png").stat().st_mtime >= started]
    for name in screens:
        print(f"{'written' if name in written else 'MISSING'}  {args.out / name}.png")
    if done.returncode != 0 or len(written) != len(screens):
        print("\n".join(_failures((done.stdout + done.stderr).splitlines())), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
