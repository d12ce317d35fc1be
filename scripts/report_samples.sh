#!/usr/bin/env bash
# Sample pages of the command-line reports, from the real year (UCI Online Retail, CC BY 4.0):
# first pages of the sales and stock PDFs as docs/screenshots/report-sales.png and
# report-stock.png (README, "Reports").
#
# A private PostgreSQL in .rtstock/report-samples/ gets the genuine Odoo 18 database
# (../shared/odoo18) with the add-on's tables and `rtstock history import` of the year
# (about three minutes, done once: the cluster is kept for the next run; delete the folder
# to start over), rollups rebuilt in the shop's zone (Europe/London). Then `rtstock report` writes the PDFs and Debian's pdftoppm
# (poppler-utils) turns their first pages into PNG.
#
# Usage: scripts/report_samples.sh [--only-db]   (--only-db: build the database and stop)
# Environment: RTSTOCK_ONLINE_RETAIL (the transactions file), RTSTOCK_SAMPLES_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pdftoppm >/dev/null || { echo "pdftoppm missing: apt-get install poppler-utils" >&2; exit 2; }
export RTSTOCK_SAMPLES_DIR=${RTSTOCK_SAMPLES_DIR:-.rtstock/report-samples}
export RTSTOCK_ONLINE_RETAIL=${RTSTOCK_ONLINE_RETAIL:-../shared/datasets/online_retail/transactions.csv.gz}
exec .venv/bin/python - "$@" <<'PY'
import os
import subprocess
import sys
from pathlib import Path

import psycopg2

from ingest_core.analysis.rebuild import rebuild
from ingest_core.history import importer
from ingest_core.commit.journal import wait_drained
from ingest_core.odoo import templates
from ingest_core.db.pgembed import EmbeddedPostgres

base = Path(os.environ["RTSTOCK_SAMPLES_DIR"]).resolve()
data = Path(os.environ["RTSTOCK_ONLINE_RETAIL"])
screens = Path("docs/screenshots")
name = "retail_year"
# Its own port: the socket lives in ``base``, but the port is also the lock-file name.
server = EmbeddedPostgres(base_dir=base / "pg", durable=False, port=5497)
server.start()
try:
    dsn = server.dsn(name)
    marker = base / "imported"
    if not marker.exists():
        print("restoring the genuine Odoo 18 database (+ add-on tables)...", flush=True)
        templates.build_real(server, name, addon=True)
        print(f"importing {data} (about three minutes)...", flush=True)
        report = importer.run(dsn, data)
        wait_drained(dsn, 120)
        print(importer.table(report.as_dict()), flush=True)
        marker.write_text("done\n")
    rebuilt = base / "rebuilt-Europe-London"
    if not rebuilt.exists():
        # days and hours in the shop's time (docs/decisions/rollups.md, "Local time")
        print("rebuilding the rollups in Europe/London...", flush=True)
        rebuild(dsn, "Europe/London")
        rebuilt.write_text("done\n")
    if "--only-db" in sys.argv[1:]:
        print(f"database ready: {dsn}")
        sys.exit(0)
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cur:
        cur.execute("SELECT min(day), max(day) FROM rrs_stock_daily WHERE qty_sold > 0")
        first, last = cur.fetchone()
    connection.close()
    screens.mkdir(parents=True, exist_ok=True)
    for kind in ("sales", "stock"):
        pdf = base / f"report-{kind}.pdf"
        subprocess.run([sys.executable, "-m", "ingest_core.cli", "report", kind, "--dsn", dsn,
                        "--from", str(first), "--to", str(last), "--format", "pdf",
                        "--out", str(pdf)], check=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(screens / f"report-{kind}")], check=True)
        print(f"{screens / f'report-{kind}.png'} from {pdf}")
finally:
    server.stop(remove=False)
PY
