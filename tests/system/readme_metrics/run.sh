#!/usr/bin/env bash
# README claims match the code: the metric families GET /metrics serves
# are exactly those the README's "Control API" section lists, and the
# control API examples there use the default port.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh


T_EXTRA='"rrl": {"responses_per_second": 100}' t_config "$DNSD_SRC/zones/example.json"
t_start example.com.

# one latency report, so the latency families have a value to show
curl -s -o /dev/null -X POST -H 'Authorization: Bearer test-token' \
	-d '{"reports": [{"prefix": "192.0.2.0/24", "region": "eu-west", "rtt_ms": 5}]}' \
	"127.0.0.1:$T_CONTROL_PORT/v1/latency"
served=$(curl -s "127.0.0.1:$T_CONTROL_PORT/metrics" | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' | sort -u)
[ -n "$served" ] || fail "GET /metrics served no family"

# the paragraph that starts "Metrics:" in the README, up to its blank line
listed=$(awk '/^Metrics: /{on=1} on&&/^$/{exit} on' "$DNSD_SRC/README.md" |
	grep -o 'dnsd_[a-z_]*' | sort -u)
[ -n "$listed" ] || fail "README has no Metrics: paragraph"

for m in $served; do
	grep -qx "$m" <<<"$listed" && ok "README lists $m" || fail "README does not list $m, which /metrics serves"
done
for m in $listed; do
	grep -qx "$m" <<<"$served" && ok "/metrics serves $m" || fail "README lists $m, which /metrics does not serve"
done

default=$(sed -n 's/^#define DEF_CONTROL "\(.*\)"/\1/p' "$DNSD_SRC"/dnsd/conf/conf.c)
[ -n "$default" ] || default=127.0.0.1:8053
if grep -q '127\.0\.0\.1:80[0-9][0-9]/' "$DNSD_SRC/README.md" &&
	grep -o '127\.0\.0\.1:80[0-9][0-9]/' "$DNSD_SRC/README.md" | grep -vq "^$default/"; then
	fail "README examples use a control port other than the default $default"
else
	ok "README control API examples use the default $default"
fi
t_done
