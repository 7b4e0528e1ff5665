#!/usr/bin/env bash
# Installs what the platform needs on a fresh machine, and nothing when it is already there:
# a virtualenv in .venv with the pinned Python dependencies, and Maven (used once to fetch Kafka
# and Apicurio from Maven Central). Sourced by scripts/run and scripts/test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1 || echo none))" >&2
  echo "hint: install python3.11, or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "• Creating the virtualenv in .venv…"
  "$PYTHON" -m venv .venv
fi

wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat .venv/.ioc-installed 2>/dev/null || true)" != "$wanted" ]; then
  echo "• Installing the Python dependencies (first run: a minute or two)…"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --progress-bar on -e ".[dev]" | grep -E "^(Collecting|Successfully)" || true
  .venv/bin/python -c "import ioc, faust, chdb, confluent_kafka" # fails loudly if the install did not work
  echo "$wanted" > .venv/.ioc-installed
fi

# Debian packages: Maven fetches Kafka and Apicurio from Maven Central once; Mosquitto is the MQTT
# broker that the sensor bridge's tests (and `ioc run`) start on loopback; Chromium (below).
missing=()
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# Chromium: the browser the console and wall tests drive (Playwright) and `ioc wall snapshot` uses.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core) # Vietnamese glyphs
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "• Installing ${missing[*]} from Debian's packages…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The package's own service is not wanted: the platform starts its broker itself, on a free port.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
  else
    echo "error: not installed: ${missing[*]}" >&2
    echo "hint: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
