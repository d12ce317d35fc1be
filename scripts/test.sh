#!/usr/bin/env bash
# The whole test suite: lint, then pytest twice (compiled hot path, then RTSTOCK_PURE_PYTHON=1).
# Exit non-zero on any failure, and when pytest collects no test (its exit 5).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
PY=.venv/bin/python
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A live Odoo 18 on this machine (outside the project) may be described by an env file
# (docs/live-odoo.md); its database server is started by the script it names, if any.
odoo_env=${RTSTOCK_ODOO_ENV:-/opt/rtstock-odoo.env}
if [ -z "${RTSTOCK_ODOO_BIN:-}" ] && [ -f "$odoo_env" ]; then
  # shellcheck disable=SC1090
  . "$odoo_env"
  start=${RTSTOCK_ODOO_START:-/opt/odoo-pg-start.sh}
  [ -x "$start" ] && "$start" start >/dev/null 2>&1
fi
# Odoo's test browser (the add-on's tours) needs websocket-client in Odoo's Python.
if [ -n "${RTSTOCK_ODOO_PYTHON:-}" ] && [ -x "$RTSTOCK_ODOO_PYTHON" ] \
    && ! "$RTSTOCK_ODOO_PYTHON" -c 'import websocket' 2>/dev/null; then
  "$RTSTOCK_ODOO_PYTHON" -m pip install -q websocket-client \
    || echo "== could not install websocket-client for Odoo: its browser tours will fail"
fi

run_pytest() {  # label, extra environment..., -- pytest args
  local label=$1; shift
  echo "== pytest, $label"
  env "$@" | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing the run"; fi
  [ "$rc" -eq 0 ] || status=1
}

echo "== lint: ruff"
.venv/bin/ruff check . || status=1
echo "== lint: pylint-odoo (OCA config) on the add-on"
.venv/bin/pylint --rcfile=.pylintrc addons/retail_realtime_stock && echo "pylint-odoo: no messages" \
  || status=1
echo "== docker compose file"
$PY -m ingest_core.tools.check_compose docker/compose.yaml || status=1

compiled=$($PY -c 'import ingest_core; print(ingest_core.SPEEDUPS)')
run_pytest "compiled hot path (ingest_core.SPEEDUPS=$compiled)" \
  RTSTOCK_EXPECT_SPEEDUPS=cython $PY -m pytest -p no:cacheprovider -rs "$@"
# The add-on does not use the hot path: its live-Odoo tests run once, above.
run_pytest "pure-Python twin (RTSTOCK_PURE_PYTHON=1)" \
  RTSTOCK_PURE_PYTHON=1 RTSTOCK_EXPECT_SPEEDUPS=python $PY -m pytest -p no:cacheprovider -rs \
  -m "not live_odoo" "$@"

if grep -q "LIVE ODOO ADD-ON TESTS SKIPPED" "$log"; then
  reason=$(grep -o "LIVE ODOO ADD-ON TESTS SKIPPED: [^.]*" "$log" | head -1)
  echo "== live-Odoo tests were SKIPPED (${reason#LIVE ODOO ADD-ON TESTS SKIPPED: }); see docs/live-odoo.md"
elif grep -q "test_addon_live" "$log" || [ -n "${RTSTOCK_ODOO_BIN:-}" ]; then
  echo "== live-Odoo tests RAN against ${RTSTOCK_ODOO_BIN:-?} (results above)"
else
  echo "== live-Odoo tests were SKIPPED: RTSTOCK_ODOO_BIN / RTSTOCK_ODOO_PYTHON / RTSTOCK_ODOO_CONF not set"
fi
[ $status -eq 0 ] && echo "== RESULT: all checks passed" || echo "== RESULT: FAILED"
exit $status
