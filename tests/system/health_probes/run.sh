#!/usr/bin/env bash
# The three check types against real servers: tcp (connect), http (status),
# https (TLS through libevent_openssl, verification off by default, on with
# "verify": true), each reporting why it failed in /v1/health.
set -u
cd "$(dirname "$0")"
. ../lib.sh
. ../hc_lib.sh

t_free_port T_PORT
t_free_port T_CONTROL_PORT
t_free_port HC_PORT	# plain HTTP on 127.0.0.2 and .7
t_free_port TLS_PORT	# HTTPS on 127.0.0.3
mkdir -p "$HC_MODES"
t_bg http "$T_PY" "$T_LIB_DIR/hc_backend.py" "$HC_PORT" "$HC_MODES" 127.0.0.2 127.0.0.7

# the https cases need a self-signed certificate: the openssl command makes it
t_need openssl openssl
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
	-keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" >"$T_TMP/openssl.log" 2>&1; then
	echo "FAIL openssl could not make a self-signed certificate:"
	sed 's/^/    | /' "$T_TMP/openssl.log"
	exit 1
fi
HC_TLS="$T_TMP/cert.pem:$T_TMP/key.pem" t_bg https "$T_PY" "$T_LIB_DIR/hc_backend.py" "$TLS_PORT" "$HC_MODES" \
	127.0.0.3 127.0.0.4 127.0.0.5

cat >"$T_TMP/example.json" <<'EOF2'
{"origin": "example.com.", "ttl": 300,
 "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1, "refresh": 3600, "retry": 600,
         "expire": 1209600, "minimum": 300},
 "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}},
 "geo": {"www": {"regions": ["tcp-up", "tcp-dead", "http-404", "https-up", "https-verify", "plain-on-tls"]}}}
EOF2
cat >"$T_TMP/dnsd.json" <<EOF2
{
  "listen": ["127.0.0.1:$T_PORT"],
  "workers": 1,
  "zones": ["example.json"],
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "$HC_TOKEN"},
  "regions": {
    "tcp-up":       {"location": [0, 0], "endpoints": ["127.0.0.2"], "check": "tcp"},
    "tcp-dead":     {"location": [0, 0], "endpoints": ["127.0.0.6"], "check": "tcp"},
    "http-404":     {"location": [0, 0], "endpoints": ["127.0.0.7"], "check": "http-wrong-path"},
    "https-up":     {"location": [0, 0], "endpoints": ["127.0.0.3"], "check": "https"},
    "https-verify": {"location": [0, 0], "endpoints": ["127.0.0.4"], "check": "https-verify"},
    "plain-on-tls": {"location": [0, 0], "endpoints": ["127.0.0.5"], "check": "http-on-tls"}
  },
  "checks": {
    "tcp":   {"type": "tcp", "port": $HC_PORT, "interval": 1, "timeout": 0.5},
    "http-wrong-path": {"type": "http", "port": $HC_PORT, "path": "/nothing", "interval": 1, "timeout": 0.5},
    "https": {"type": "https", "port": $TLS_PORT, "path": "/healthz", "host": "localhost", "interval": 1, "timeout": 0.5},
    "https-verify": {"type": "https", "port": $TLS_PORT, "path": "/healthz", "host": "localhost", "verify": true, "interval": 1, "timeout": 0.5},
    "http-on-tls": {"type": "http", "port": $TLS_PORT, "path": "/healthz", "interval": 1, "timeout": 0.5}
  }
}
EOF2
wait_listen() {	# wait_listen ADDR PORT
	local end=$((SECONDS + 10))
	until "$T_PY" -c "import socket; socket.create_connection(('$1', $2), 0.2)" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { echo "FAIL backend $1:$2 never listened"; exit 1; }
		sleep 0.1
	done
}
wait_listen 127.0.0.2 "$HC_PORT"
wait_listen 127.0.0.7 "$HC_PORT"
for a in 127.0.0.3 127.0.0.4 127.0.0.5; do wait_listen $a "$TLS_PORT"; done
t_start example.com.

body=
region() {	# region NAME -> its JSON object in the last health read, squeezed
	grep -o "\"name\":\"$1\"[^]]*" <<<"$body"
}
region_matches() {	# NAME ERE: read /v1/health, true when NAME's object matches
	hc_api GET /v1/health
	body=$(tr -d '\n ' <<<"$HC_BODY")
	region "$1" | grep -Eq -- "$2"
}
# expect_region DESC NAME ERE: the first round of checks may still be
# running at start-up (a timeout takes 0.5 s), so poll, bounded; the last
# read is tried first.
expect_region() {
	if region "$2" | grep -Eq -- "$3" || wait_until 5 region_matches "$2" "$3"; then
		ok "$1"
	else
		fail "$1: $(region "$2")"
	fi
}
expect_region "tcp: connect succeeds -> up" tcp-up '"check":"up".*"rtt_ms":[0-9.]+'
expect_region "tcp: nothing listening -> down, refused" tcp-dead '"check":"down".*"last_error":"refused"'
expect_region "http: wrong path -> down, status 404" http-404 '"check":"down".*"last_error":"status404"'
expect_region "https, verify off: self-signed certificate accepted -> up" https-up '"check":"up".*"rtt_ms":[0-9.]+'
expect_region "https, verify on: self-signed certificate -> down, tls error" https-verify \
	'"check":"down".*"last_error":"tlserror:certificateverifyfailed:self-signedcertificate"'
expect_region "http against a TLS port -> down" plain-on-tls '"check":"down".*"last_error":"(badresponse|closedbeforestatus|reset)"'
t_done
