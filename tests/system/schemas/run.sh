#!/usr/bin/env bash
# Every example config and zone validates against its JSON Schema; known-bad
# documents (tests/data/schema_bad_*.json) are rejected at the intended path.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
t_absorb < <("$T_PY" validate.py "$DNSD_SRC" 2>&1)
t_done
