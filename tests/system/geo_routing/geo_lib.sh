# geo_lib.sh -- helpers shared by the tests/system/geo_*/run.sh tests;
# source it after ../lib.sh.  GEO_MODEL (array) is the geomodel.py command
# with its CONFIG ZONE CSV arguments; GEO_TTL maps a geo name (first label)
# to its ttl, checked when set.

GEO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEO_MODEL=()
declare -A GEO_TTL=()

# geo_model_cmd CONFIG ZONE CSV: set GEO_MODEL.
geo_model_cmd() { GEO_MODEL=("$T_PY" "$GEO_LIB_DIR/geomodel.py" "$@"); }

# check_answer DESC NAME QTYPE ADDRS ECS: the last answer is NOERROR, AA,
# with exactly ADDRS (comma list in order; "-" = NODATA with the SOA) at
# the name's ttl, and the ECS option ECS ("" = none; "*" = not checked).
check_answer() {
	local desc=$1 name=$2 qtype=$3 want=$4 want_ecs=$5 got bad='' ttl
	got=$(t_rdata "$qtype")
	[ "$(t_rcode)" = NOERROR ] || bad="rcode $(t_rcode)"
	[[ " $(t_flags) " == *" aa "* ]] || bad="$bad; AA clear"
	if [ "$want" = - ]; then
		[ -z "$got" ] && [ "$(t_count ANSWER)" = 0 ] || bad="$bad; answer '$got', want NODATA"
		grep -q ' IN SOA ' <<<"$(t_section AUTHORITY)" || bad="$bad; no SOA in authority"
	else
		[ "$got" = "$want" ] || bad="$bad; answer '$got', want '$want'"
		ttl=${GEO_TTL[$name]:-}
		if [ -n "$ttl" ]; then
			t_section ANSWER | awk -v t="$qtype" -v ttl="$ttl" '$4 == t && $2 != ttl {e = 1} END {exit e}' ||
				bad="$bad; ttl not $ttl"
		fi
	fi
	[ "$want_ecs" = "*" ] || [ "$(t_ecs)" = "$want_ecs" ] || bad="$bad; ECS '$(t_ecs)', want '$want_ecs'"
	if [ -z "$bad" ]; then
		ok "$desc"
	else
		fail "$desc: ${bad#; }"
		echo "    \$ $T_CMD"
		sed 's/^/    | /' <<<"$T_OUT"
	fi
}

# geo DESC NAME QTYPE SUBNET REGIONS: ask NAME.example.com with
# +subnet=SUBNET.  REGIONS (comma list, "-" for NODATA) is what the
# rule named in DESC implies, or "model" when it is plain distance; the
# model must agree with it, and gives the addresses and the scope.
geo() {
	local desc=$1 name=$2 qtype=$3 subnet=$4 regions=$5 addrs scope mregions
	read -r _ _ _ addrs scope mregions _ < <("${GEO_MODEL[@]}" answer "$name" "$qtype" "$subnet")
	if [ "$regions" != model ] && [ "$regions" != "$mregions" ]; then
		fail "$desc: the test model says $mregions, the test says $regions (test bug)"
		return
	fi
	q "$name.example.com" "$qtype" +subnet="$subnet"
	check_answer "$desc -> $mregions, scope $scope" "$name" "$qtype" "$addrs" "$subnet/$scope"
}
