#!/usr/bin/env bash
# Install what rtstock needs on a fresh Debian machine: PostgreSQL server binaries,
# mosquitto (MQTT tests), pango and poppler-utils (reports), a virtualenv in .venv with
# the package (Cython hot path built).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
# rtstock report: WeasyPrint lays out PDFs with pango (and fonts); pdftoppm (poppler-utils)
# renders report pages to PNG (scripts/report_samples.sh).
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "bootstrap: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian package starts a system cluster; rtstock runs its own private servers instead.
  $SUDO service postgresql stop >/dev/null 2>&1 || true
  $SUDO service mosquitto stop >/dev/null 2>&1 || true
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.rtstock-installed
if [ ! -f "$stamp" ] || [ setup.py -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip setuptools wheel "Cython==3.3.1"
  .venv/bin/pip install -q --no-build-isolation -e ".[test,load,rfid,report,forecast]"
  touch "$stamp"
fi
# Always rebuild the extensions in place: cheap when nothing changed, needed after a .pyx edit.
.venv/bin/python setup.py -q build_ext --inplace >/dev/null 2>&1 \
  || echo "bootstrap: WARNING: Cython build failed; the pure-Python twin will be used"
