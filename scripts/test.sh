#!/usr/bin/env bash
# One command: install what the tests need (Python packages, Debian's Chromium and CJK
# fonts for the browser tests, PySpark and a Java runtime for the lake's parity test), then
# run the whole suite, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
# The optional Spark extra (the app's own install does not need it): the lake parity test.
python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-spark.lock

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

exec python -m pytest "$@"
