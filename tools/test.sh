#!/usr/bin/env bash
# tools/test.sh -- install what is missing, build, run every test (ctest).
# Idempotent, no arguments.  CI runs exactly this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/deps.sh"
dnsd_install_deps
dnsd_build "$root"
cd "$root/build"
ctest --output-on-failure -j2 --timeout 300
