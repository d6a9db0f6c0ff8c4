#!/usr/bin/python3
"""Validate the example files against the JSON Schemas, and prove the schemas
reject known-bad documents for the intended reason.

  validate.py SRC_DIR

Config files are the JSON files with a "listen" or "zones" key; zone files
are those with an "origin" key.  Prints one line per check and ends with
"N passed, M failed"; exit status 1 on any failure.
"""
import glob
import json
import os
import re
import sys

import jsonschema

# Each bad document and the place it must be rejected at, exactly: the
# error's instance path joined with "/", plus the property the error is about
# when it is about one (missing, unexpected, or a bad property name; see
# where()), so a document refused at its root still names what is wrong.
# A document rejected only somewhere else is a failure: the test proves the
# rule, not just that something is wrong.
BAD = {
	"schema_bad_zone_no_origin.json": "origin",
	"schema_bad_zone_cname_beside.json": "records/docs/A",
	"schema_bad_zone_two_cnames.json": "records/docs/CNAME",
	"schema_bad_zone_a_v6.json": "records/host/A",
	"schema_bad_zone_a_range.json": "records/host/A",
	"schema_bad_zone_aaaa_v4.json": "records/host/AAAA",
	"schema_bad_zone_ttl_string.json": "records/host/ttl",
	"schema_bad_zone_ttl_only.json": "records/host",
	"schema_bad_zone_type_case.json": "records/host/mx",
	"schema_bad_zone_unknown_key.json": "zone",
	"schema_bad_zone_origin_relative.json": "origin",
	"schema_bad_zone_soa_serial.json": "soa/serial",
	"schema_bad_zone_data_string.json": "records/@/NS",
	"schema_bad_zone_geo_no_regions.json": "geo/www/regions",
	"schema_bad_zone_geo_all_down.json": "geo/www/all_down",
	"schema_bad_zone_geo_max_regions.json": "geo/www/max_regions",
	"schema_bad_zone_owner_space.json": "records/bad name",
	"schema_bad_config_no_zones.json": "zones",
	"schema_bad_config_listen_port.json": "listen/0",
	"schema_bad_config_listen_v6.json": "listen/0",
	"schema_bad_config_unknown_key.json": "listen_addresses",
	"schema_bad_config_workers.json": "workers",
	"schema_bad_config_location.json": "regions/north/location/0",
	"schema_bad_config_endpoint.json": "regions/north/endpoints/0",
	"schema_bad_config_check_type.json": "checks/web/type",
	"schema_bad_config_pin_mode.json": "pins/eu/mode",
	"schema_bad_config_pin_empty.json": "pins/eu",
	"schema_bad_config_continent.json": "pins/eu/continents/0",
	"schema_bad_config_network_both.json": "networks/10.0.0.0/8",
	"schema_bad_config_network_cidr.json": "networks/10.0.0.0/33",
	"schema_bad_config_udp_payload.json": "limits/udp_payload",
	"schema_bad_config_log_level.json": "log/level",
	"schema_bad_config_tsig_algorithm.json": "tsig/xfr.example./algorithm",
}

passed = 0
failed = 0


def ok(msg):
	global passed
	passed += 1
	print("ok   " + msg)


def fail(msg):
	global failed
	failed += 1
	print("FAIL " + msg)


def kind_of(doc):
	if isinstance(doc, dict) and ("listen" in doc or "zones" in doc):
		return "config"
	if isinstance(doc, dict) and "origin" in doc:
		return "zone"
	return None


def errors(validator, doc):
	return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def where(err):
	"""The error's instance path, plus the property it is about: the missing
	one ("required"), the unexpected ones ("additionalProperties") or the
	badly spelled name ("propertyNames")."""
	path = [str(p) for p in err.absolute_path]
	inst = err.instance
	if err.validator == "required" and isinstance(inst, dict):
		path.append(",".join(p for p in err.validator_value if p not in inst))
	elif err.validator == "additionalProperties" and isinstance(inst, dict):
		props = err.schema.get("properties", {})
		pats = err.schema.get("patternProperties", {})
		path.append(",".join(k for k in inst if k not in props and not any(re.search(r, k) for r in pats)))
	elif "propertyNames" in err.absolute_schema_path:
		path.append(str(inst))
	return "/".join(path)


def main():
	src = sys.argv[1]
	validators = {}
	for kind, name in (("config", "dnsd.schema.json"), ("zone", "zone.schema.json")):
		path = os.path.join(src, "zones", name)
		with open(path) as f:
			schema = json.load(f)
		cls = jsonschema.validators.validator_for(schema)
		try:
			cls.check_schema(schema)
			ok("%s is a valid %s schema" % (name, cls.__name__))
		except jsonschema.SchemaError as e:
			fail("%s is not a valid schema: %s" % (name, e.message))
			continue
		validators[kind] = cls(schema)
	if len(validators) != 2:
		return

	good = sorted(glob.glob(os.path.join(src, "zones", "*.json")))
	good += sorted(glob.glob(os.path.join(src, "tests", "data", "sys_*.json")))
	seen = {"config": 0, "zone": 0}
	for path in good:
		if path.endswith(".schema.json"):
			continue
		rel = os.path.relpath(path, src)
		try:
			with open(path) as f:
				doc = json.load(f)
		except ValueError as e:
			fail("%s: not JSON: %s" % (rel, e))
			continue
		kind = kind_of(doc)
		if kind is None:
			fail("%s: neither a config (listen/zones) nor a zone (origin)" % rel)
			continue
		seen[kind] += 1
		errs = errors(validators[kind], doc)
		if errs:
			fail("%s: %d schema error(s) as %s" % (rel, len(errs), kind))
			for e in errs[:10]:
				print("     at /%s: %s" % (where(e), e.message))
		else:
			ok("%s valid %s" % (rel, kind))
	for kind in ("config", "zone"):
		if seen[kind] == 0:
			fail("no %s example found under zones/" % kind)

	present = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, "tests", "data", "schema_bad_*.json")))
	for name in present:
		if name not in BAD:
			fail("%s: not listed in validate.py BAD (add its expected error path)" % name)
	for name, at in sorted(BAD.items()):
		path = os.path.join(src, "tests", "data", name)
		kind = "config" if name.startswith("schema_bad_config_") else "zone"
		try:
			with open(path) as f:
				doc = json.load(f)
		except (OSError, ValueError) as e:
			fail("%s: cannot read: %s" % (name, e))
			continue
		errs = errors(validators[kind], doc)
		if not errs:
			fail("%s: accepted by the %s schema, expected an error at /%s" % (name, kind, at))
		elif not any(where(e) == at for e in errs):
			fail("%s: rejected, but not at /%s:" % (name, at))
			for e in errs[:10]:
				print("     at /%s: %s" % (where(e), e.message))
		else:
			e = next(e for e in errs if where(e) == at)
			ok("%s rejected at /%s (%s)" % (name, where(e), e.message[:70]))


main()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
