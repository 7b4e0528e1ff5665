#!/usr/bin/env bash
# Reproduce the wall pages' vendored front-end files (wall/web/static/vendor/) from the npm registry:
# the exact versions of wall/web/package-lock.json, installed with `npm ci` (integrity-checked, no
# install scripts) in a temporary folder, then the minified files and the licence copied in.
# Needs node and npm; the committed files are what the platform serves, so nothing runs at install.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
web="$here/wall/web"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
mkdir -p "$web/static/vendor"
cp "$work/node_modules/uplot/dist/uPlot.iife.min.js" "$work/node_modules/uplot/dist/uPlot.min.css" \
  "$web/static/vendor/"
cp "$work/node_modules/uplot/LICENSE" "$web/static/vendor/uPlot.LICENSE"
echo "vendored: $(cd "$web/static/vendor" && ls | tr '\n' ' ')"
