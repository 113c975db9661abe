#!/usr/bin/env bash
# Regenerate the lock files from the ranges (requirements*.txt, bench/requirements-lifetimes.in).
# The README's two commands install only from the locks (exact versions with hashes), so a new
# release of a dependency changes nothing until this is run, the suite passes and the locks are committed.
#   bash scripts/lock.sh            # re-resolve at the newest versions the ranges allow
#   bash scripts/lock.sh -P duckdb  # upgrade one package only (flags go to `uv pip compile`)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
compile() { python -m uv pip compile --quiet --generate-hashes --python-version 3.11 "$@"; }
compile --universal requirements.txt -o requirements.lock "${@}"
compile --universal requirements-dev.txt -o requirements-dev.lock "${@}"
# lifetimes' old numpy/scipy have no wheels for every platform: lock for the benchmark machine (Linux x86_64).
compile --python-platform x86_64-manylinux_2_28 bench/requirements-lifetimes.in -o bench/requirements-lifetimes.lock "${@}"
