#!/usr/bin/env bash
# tools/test-deps.sh -- ctest tool_deps: dnsd_install_deps keeps a
# policy-rc.d the machine already had, holds daemons back (exit 101)
# while it installs, and leaves none behind when there was none.  apt-get
# and dpkg-query are stand-ins on PATH that record what they saw, so
# nothing is installed.
set -u
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
cat >"$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
exit 1
SH
cat >"$tmp/bin/apt-get" <<'SH'
#!/bin/sh
[ "$1" = install ] && cat "$DNSD_POLICY_RC" >"$SEEN"
exit 0
SH
chmod +x "$tmp/bin/"*
fails=0 passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }

export DNSD_POLICY_RC="$tmp/policy-rc.d" SEEN="$tmp/seen"
printf '#!/bin/sh\n# the machine'"'"'s own\nexit 0\n' >"$DNSD_POLICY_RC"
cp "$DNSD_POLICY_RC" "$tmp/original"
PATH="$tmp/bin:$PATH" bash -c ". '$root/tools/deps.sh'; dnsd_install_deps build" >/dev/null 2>&1
check "daemons held back during the install" "grep -q 'exit 101' '$SEEN'"
check "an existing policy-rc.d is put back as it was" "cmp -s '$tmp/original' '$DNSD_POLICY_RC'"

rm -f "$DNSD_POLICY_RC" "$SEEN"
PATH="$tmp/bin:$PATH" bash -c ". '$root/tools/deps.sh'; dnsd_install_deps build" >/dev/null 2>&1
check "daemons held back during the install (none before)" "grep -q 'exit 101' '$SEEN'"
check "no policy-rc.d left behind when there was none" "[ ! -e '$DNSD_POLICY_RC' ]"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
