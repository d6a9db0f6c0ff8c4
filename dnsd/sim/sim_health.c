/*
 * sim_health.c -- the health state a simulation starts from: a checker
 * of its own that never runs a check, fed with the body of a running
 * server's GET /v1/health or with a state file.  The tool's thread only;
 * nothing here reads or writes the server's files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dnsd/sim/sim.h"

int
sim_health_attach(struct snap *s, struct health *h)
{
	/* a copy without the state file: the checker neither restores the
	 * server's state from it nor writes what the simulation forces */
	struct dnsd_conf c = *s->conf;
	int rc;

	c.state_file = NULL;
	if ((rc = health_apply_conf(h, &c, s->ep_slot, s->region_slot)) < 0)
		return rc;
	s->words = health_words_get(h);
	return 0;
}

static int
force_of(const char *text, enum health_force *f)
{
	if (text == NULL)
		return -EINVAL;
	if (strcmp(text, "up") == 0)
		*f = HEALTH_FORCE_UP;
	else if (strcmp(text, "down") == 0)
		*f = HEALTH_FORCE_DOWN;
	else if (strcmp(text, "auto") == 0)
		*f = HEALTH_AUTO;
	else
		return -EINVAL;
	return 0;
}

static void
note(char *why, size_t len, const char *kind, const char *name)
{
	size_t n = strlen(why);

	if (n + 1 < len)
		snprintf(why + n, len - n, "%s%s %s not in the config", n ? "; " : "", kind, name);
}

/* One endpoint of GET /v1/health: its forced state and, for a checked
 * endpoint, its check's verdict ("check": "up", "down", "unknown"). */
static void
apply_endpoint(struct health *h, json_t *e, char *why, size_t len)
{
	const char *addr = json_string_value(json_object_get(e, "address"));
	const char *check = json_string_value(json_object_get(e, "check"));
	enum health_force f;

	if (addr == NULL)
		return;
	if (force_of(json_string_value(json_object_get(e, "forced")), &f) == 0 &&
	    health_force_endpoint(h, addr, f) == -ENOENT) {
		note(why, len, "endpoint", addr);
		return;
	}
	if (check != NULL && strcmp(check, "up") == 0)
		health_set_verdict(h, addr, HEALTH_UP);
	else if (check != NULL && strcmp(check, "down") == 0)
		health_set_verdict(h, addr, HEALTH_DOWN);
}

static void
apply_health_body(struct health *h, json_t *regions, char *why, size_t len)
{
	size_t i, j;
	json_t *r, *e;

	json_array_foreach(regions, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		enum health_force f;

		json_array_foreach(json_object_get(r, "endpoints"), j, e)
			apply_endpoint(h, e, why, len);
		if (name != NULL && force_of(json_string_value(json_object_get(r, "forced")), &f) == 0 &&
		    health_force_region(h, name, f) == -ENOENT)
			note(why, len, "region", name);
	}
}

int
sim_health_apply(struct health *h, const char *path, const char *text, size_t len, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr), *regions;
	int rc = 0;

	why[0] = '\0';
	if (root == NULL) {
		snprintf(why, whylen, "not JSON (line %d column %d: %s)", jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	regions = json_object_get(root, "regions");
	if (json_is_array(regions)) {
		apply_health_body(h, regions, why, whylen);
	} else if (path != NULL && json_is_object(regions) && json_is_object(json_object_get(root, "endpoints"))) {
		if ((rc = health_load_state(h, path)) < 0)
			snprintf(why, whylen, "%s: not a state file (%s)", path, strerror(-rc));
	} else {
		snprintf(why, whylen, "neither the body of GET /v1/health nor a state file");
		rc = -EINVAL;
	}
	json_decref(root);
	return rc;
}
