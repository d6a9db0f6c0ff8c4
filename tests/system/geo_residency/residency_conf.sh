# residency_conf.sh -- sourced by tests/system/geo_residency and
# dnssec_validate: the seven regions and four pins those tests' zones
# (tests/data/geo_sys_residency*.zone.json) are written for.

# residency_regions_and_pins: the "regions" and "pins" members of a
# config, for a heredoc: "$(residency_regions_and_pins)".
residency_regions_and_pins() {
	cat <<'JSON'
  "regions": {
    "us-east":      {"location": [39.04, -77.49],  "endpoints": ["192.0.2.10", "192.0.2.11", "2001:db8:10::10"]},
    "eu-west":      {"location": [53.35, -6.26],   "endpoints": ["198.51.100.10", "2001:db8:20::10"], "pin": "eu"},
    "eu-central":   {"location": [50.11, 8.68],    "endpoints": ["198.51.100.20"], "pin": "eu"},
    "ap-southeast": {"location": [1.35, 103.82],   "endpoints": ["203.0.113.10"], "pin": "asia"},
    "ap-northeast": {"location": [35.68, 139.69],  "endpoints": ["203.0.113.20", "2001:db8:30::10"], "pin": "asia"},
    "sa-east":      {"location": [-23.55, -46.63], "endpoints": ["192.0.2.50"], "pin": "latam"},
    "me-central":   {"location": [25.20, 55.27],   "endpoints": ["192.0.2.70"], "pin": "gulf"}
  },
  "pins": {
    "eu":    {"countries": ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
                            "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"],
              "mode": "strict"},
    "asia":  {"continents": ["AS"], "mode": "strict"},
    "latam": {"countries": ["BR", "AR", "MX"], "mode": "preferred"},
    "gulf":  {"countries": ["AE"]}
  }
JSON
}
