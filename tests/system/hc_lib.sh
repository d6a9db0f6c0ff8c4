# hc_lib.sh -- helpers for the health_* system tests (source after lib.sh).
#
# Four regions whose endpoints are real HTTP backends (hc_backend.py) on
# loopback addresses, one check "web" with interval 1, timeout 0.5, rise 2,
# fall 2, so failover is due within 1*2+0.5+1 = 3.5 s and recovery within
# 1*2+1 = 3 s.  No GeoIP database: clients are located by "networks":
#
#   us-east       127.0.0.2   (no pin)    client 10.40.0.0/16 (US)
#   eu-west       127.0.0.3   pin eu      client 10.20.0.0/16 (DE, strict eu)
#   eu-central    127.0.0.4   pin eu
#   ap-southeast  127.0.0.5   pin asia    client 10.50.0.0/16 (SG)
#
#   hc_setup                 backends up, config + zone written (no start)
#   hc_mode 127.0.0.4 down   ok | 503 | hang | down
#   hc_answer 10.20.1.0/24   www A answer addresses, sorted, comma-joined
#   hc_wait 10.20.1.0/24 127.0.0.3 6   poll until that answer; HC_ELAPSED
#   hc_api POST /v1/... BODY [TOKEN]   HC_CODE and HC_BODY

HC_CHECK_INTERVAL=1
HC_CHECK_TIMEOUT=0.5
HC_RISE=2
HC_FALL=2
HC_TOKEN=test-token
HC_ADDRS=(127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
HC_MODES=$T_TMP/modes
HC_ELAPSED=
HC_CODE=
HC_BODY=

hc_mode() {
	printf '%s\n' "$2" >"$HC_MODES/$1"
}

# hc_config: writes $T_TMP/dnsd.json and $T_TMP/example.json.  $HC_EXTRA,
# if set, is more top-level JSON members.
hc_config() {
	cat >"$T_TMP/example.json" <<'EOF'
{
  "origin": "example.com.",
  "ttl": 300,
  "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1,
          "refresh": 3600, "retry": 600, "expire": 1209600, "minimum": 300},
  "records": {
    "@": {"NS": ["ns1"]},
    "ns1": {"A": ["192.0.2.53"]}
  },
  "geo": {
    "www": {"regions": ["us-east", "eu-west", "eu-central", "ap-southeast"], "ttl": 30}
  }
}
EOF
	cat >"$T_TMP/dnsd.json" <<EOF
{
  "listen": ["127.0.0.1:$T_PORT"],
  "workers": 2,
  "zones": ["example.json"],
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "$HC_TOKEN"},
  "state_file": "$T_TMP/state.json",
  "regions": {
    "us-east":      {"location": [39.04, -77.49], "endpoints": ["127.0.0.2"], "check": "web"},
    "eu-west":      {"location": [53.35, -6.26],  "endpoints": ["127.0.0.3"], "check": "web", "pin": "eu"},
    "eu-central":   {"location": [50.11, 8.68],   "endpoints": ["127.0.0.4"], "check": "web", "pin": "eu"},
    "ap-southeast": {"location": [1.35, 103.82],  "endpoints": ["127.0.0.5"], "check": "web", "pin": "asia"}
  },
  "checks": {
    "web": {"type": "http", "port": $HC_PORT, "path": "/healthz", "expect": 200,
            "interval": $HC_CHECK_INTERVAL, "timeout": $HC_CHECK_TIMEOUT, "rise": $HC_RISE, "fall": $HC_FALL}
  },
  "pins": {
    "eu":   {"countries": ["DE", "FR", "IE"], "mode": "strict"},
    "asia": {"continents": ["AS"], "mode": "strict"}
  },
  "networks": {
    "10.20.0.0/16": {"country": "DE"},
    "10.40.0.0/16": {"country": "US"},
    "10.50.0.0/16": {"country": "SG"}
  }${HC_EXTRA:+,
  $HC_EXTRA}
}
EOF
}

hc_setup() {
	t_free_port T_PORT
	t_free_port T_CONTROL_PORT
	t_free_port HC_PORT
	mkdir -p "$HC_MODES"
	t_bg backends "$T_PY" "$T_LIB_DIR/hc_backend.py" "$HC_PORT" "$HC_MODES" "${HC_ADDRS[@]}"
	hc_config
	local a end=$((SECONDS + 10))
	for a in "${HC_ADDRS[@]}"; do
		until "$T_PY" -c "import socket,sys; socket.create_connection(('$a', $HC_PORT), 0.2)" 2>/dev/null; do
			[ $SECONDS -lt $end ] || { echo "FAIL backend $a:$HC_PORT never listened"; exit 1; }
			sleep 0.1
		done
	done
}

hc_answer() {
	dig @127.0.0.1 -p "$T_PORT" +norec +time=1 +tries=1 +short +subnet="$1" www.example.com A 2>/dev/null |
		sort | paste -sd, -
}

# hc_wait SUBNET WANT MAX_SECONDS: poll every 0.1 s; HC_ELAPSED is the
# seconds since the call when the answer was WANT.  False on timeout.
hc_wait() {
	local start=$EPOCHREALTIME now got
	while :; do
		got=$(hc_answer "$1")
		now=$EPOCHREALTIME
		HC_ELAPSED=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.2f", b - a }')
		[ "$got" = "$2" ] && return 0
		awk -v e="$HC_ELAPSED" -v m="$3" 'BEGIN { exit !(e > m) }' && {
			HC_ELAPSED="$HC_ELAPSED (last answer '$got')"
			return 1
		}
		sleep 0.1
	done
}

# hc_within DESC ELAPSED BOUND: pass when ELAPSED <= BOUND, printing both.
hc_within() {
	if awk -v e="$2" -v b="$3" 'BEGIN { exit !(e <= b) }'; then
		ok "$1 in $2 s (bound $3 s)"
	else
		fail "$1 took $2 s (bound $3 s)"
	fi
}

# hc_api METHOD PATH [BODY [TOKEN]]: TOKEN "" sends no Authorization.
hc_api() {
	local out
	out=$("$T_PY" - "$1" "http://127.0.0.1:$T_CONTROL_PORT$2" "${3-}" "${4-}" <<'EOF'
import sys, urllib.request, urllib.error
method, url, body, token = sys.argv[1:5]
req = urllib.request.Request(url, data=body.encode() if method == "POST" else None, method=method)
if token:
	req.add_header("Authorization", "Bearer " + token)
if method == "POST":
	req.add_header("Content-Type", "application/json")
try:
	with urllib.request.urlopen(req, timeout=5) as r:
		code, text = r.status, r.read().decode()
except urllib.error.HTTPError as e:
	code, text = e.code, e.read().decode()
print(code)
print(text, end="")
EOF
	)
	HC_CODE=${out%%$'\n'*}
	HC_BODY=${out#*$'\n'}
}

# hc_expect_api DESC CODE [ERE]: checks the last hc_api reply.
hc_expect_api() {
	if [ "$HC_CODE" != "$2" ]; then
		fail "$1: HTTP $HC_CODE, want $2; body: $HC_BODY"
	elif [ -n "${3-}" ] && ! grep -Eq -- "$3" <<<"$HC_BODY"; then
		fail "$1: body lacks /$3/: $HC_BODY"
	else
		ok "$1"
	fi
}

# hc_metric NAME_WITH_LABELS: the value of one series from GET /metrics.
hc_metric() {
	hc_api GET /metrics
	awk -v k="$1" '$1 == k { print $2 }' <<<"$HC_BODY"
}
