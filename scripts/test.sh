#!/usr/bin/env bash
# The whole test suite: lint, then pytest twice (compiled hot path, then RTSTOCK_PURE_PYTHON=1).
# Exit non-zero on any failure, and when pytest collects no test (its exit 5).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
PY=.venv/bin/python
status=0

echo "== lint: ruff"
.venv/bin/ruff check . || status=1
echo "== lint: pylint-odoo (OCA config) on the add-on"
if [ -d addons/retail_realtime_stock ]; then
  .venv/bin/pylint --rcfile=.pylintrc addons/retail_realtime_stock || status=1
fi

compiled=$($PY -c 'import ingest_core; print(ingest_core.SPEEDUPS)')
echo "== pytest, compiled hot path (ingest_core.SPEEDUPS=$compiled)"
RTSTOCK_EXPECT_SPEEDUPS=cython $PY -m pytest -p no:cacheprovider "$@"
rc=$?; [ $rc -eq 5 ] && echo "pytest collected no tests: failing the run"; [ $rc -ne 0 ] && status=1

echo "== pytest, pure-Python twin (RTSTOCK_PURE_PYTHON=1)"
RTSTOCK_PURE_PYTHON=1 RTSTOCK_EXPECT_SPEEDUPS=python $PY -m pytest -p no:cacheprovider "$@"
rc=$?; [ $rc -eq 5 ] && echo "pytest collected no tests: failing the run"; [ $rc -ne 0 ] && status=1

echo "== docker compose file"
if [ -f docker/compose.yaml ]; then
  $PY -m ingest_core.tools.check_compose docker/compose.yaml || status=1
fi

if [ -n "${RTSTOCK_ODOO_BIN:-}" ] && [ -n "${RTSTOCK_ODOO_CONF:-}" ]; then
  live="live-Odoo tests RAN against $RTSTOCK_ODOO_BIN (see the live_odoo results above)"
else
  live="live-Odoo tests were SKIPPED: RTSTOCK_ODOO_BIN / RTSTOCK_ODOO_PYTHON / RTSTOCK_ODOO_CONF not set (no live Odoo 18 on this machine)"
fi
echo "== $live"
[ $status -eq 0 ] && echo "== RESULT: all checks passed" || echo "== RESULT: FAILED"
exit $status
