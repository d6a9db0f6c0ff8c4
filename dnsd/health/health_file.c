/*
 * health_file.c -- the health state file: forced states and last-known
 * endpoint verdicts as JSON, so a restart neither forgets an operator's
 * decision nor starts blind.  Runs on the health or control thread, never
 * on a worker; a file is replaced whole (write aside, fsync, rename) so a
 * crash leaves the old file or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dnsd/health/health_int.h"

#define HEALTH_STATE_VERSION 1

static json_t *
saved_json(const struct health_saved *s)
{
	json_t *o = json_pack("{s:s}", "forced", health_force_name(s->force));

	if (o != NULL && s->kind == HEALTH_SAVED_ENDPOINT && s->state != HEALTH_UNKNOWN) {
		json_object_set_new(o, "state", json_string(health_state_name(s->state)));
		json_object_set_new(o, "since", json_integer((json_int_t)s->since));
		json_object_set_new(o, "at", json_integer((json_int_t)s->at));
	}
	return o;
}

static json_t *
state_json(const struct health_saved *v, size_t n, time_t now)
{
	json_t *root = json_pack("{s:i,s:I,s:{},s:{}}", "version", HEALTH_STATE_VERSION,
				 "written", (json_int_t)now, "regions", "endpoints");

	if (root == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *key = v[i].kind == HEALTH_SAVED_REGION ? "regions" : "endpoints";
		json_t *o = saved_json(&v[i]);
		if (o == NULL || json_object_set_new(json_object_get(root, key), v[i].name, o) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

/* fsync of the directory makes the rename itself durable. */
static void
sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	fsync(fd);
	close(fd);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
health_file_write(const char *path, const struct health_saved *v, size_t n, time_t now)
{
	char tmp[4096];
	json_t *root = state_json(v, n, now);
	char *text = NULL;
	int fd = -1, rc = -ENOMEM;

	if (root == NULL || (text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL)
		goto out;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = write_all(fd, text, strlen(text))) < 0 || (rc = write_all(fd, "\n", 1)) < 0)
		goto out;
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto out;
	}
	sync_dir(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(text);
	json_decref(root);
	return rc;
}

static int
parse_force(const char *s, enum health_force *f)
{
	if (s == NULL)
		*f = HEALTH_AUTO;
	else if (strcmp(s, "auto") == 0)
		*f = HEALTH_AUTO;
	else if (strcmp(s, "up") == 0)
		*f = HEALTH_FORCE_UP;
	else if (strcmp(s, "down") == 0)
		*f = HEALTH_FORCE_DOWN;
	else
		return -EINVAL;
	return 0;
}

static int
parse_saved(const char *name, json_t *o, enum health_saved_kind kind, struct health_saved *s)
{
	json_t *st;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (!json_is_object(o) || strlen(name) >= sizeof(s->name))
		return -EINVAL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (parse_force(json_string_value(json_object_get(o, "forced")), &s->force) < 0)
		return -EINVAL;
	if (kind == HEALTH_SAVED_REGION || (st = json_object_get(o, "state")) == NULL)
		return 0;
	if (!json_is_string(st) || !json_is_integer(json_object_get(o, "since")) ||
	    !json_is_integer(json_object_get(o, "at")))
		return -EINVAL;
	if (strcmp(json_string_value(st), "up") == 0)
		s->state = HEALTH_UP;
	else if (strcmp(json_string_value(st), "down") == 0)
		s->state = HEALTH_DOWN;
	else
		return -EINVAL;
	s->since = (time_t)json_integer_value(json_object_get(o, "since"));
	s->at = (time_t)json_integer_value(json_object_get(o, "at"));
	return 0;
}

static int
parse_group(json_t *root, const char *key, enum health_saved_kind kind, struct health_saved *v, size_t *n)
{
	json_t *g = json_object_get(root, key), *o;
	const char *name;

	if (g == NULL)
		return 0;
	if (!json_is_object(g))
		return -EINVAL;
	json_object_foreach(g, name, o) {
		if (parse_saved(name, o, kind, &v[*n]) < 0)
			return -EINVAL;
		(*n)++;
	}
	return 0;
}

int
health_file_read(const char *path, struct health_saved **out, size_t *n)
{
	json_error_t jerr;
	json_t *root;
	struct health_saved *v = NULL;
	size_t cap;
	int rc = -EINVAL;

	*out = NULL;
	*n = 0;
	if (access(path, F_OK) < 0)
		return -ENOENT;
	if ((root = json_load_file(path, 0, &jerr)) == NULL)
		return -EINVAL;
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != HEALTH_STATE_VERSION)
		goto out;
	cap = json_object_size(json_object_get(root, "regions")) +
	      json_object_size(json_object_get(root, "endpoints")) + 1;
	if ((v = calloc(cap, sizeof(*v))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (parse_group(root, "regions", HEALTH_SAVED_REGION, v, n) < 0 ||
	    parse_group(root, "endpoints", HEALTH_SAVED_ENDPOINT, v, n) < 0)
		goto out;
	*out = v;
	v = NULL;
	rc = 0;
out:
	if (rc < 0)
		*n = 0;
	free(v);
	json_decref(root);
	return rc;
}

int
health_file_fresh(const struct health_saved *s, time_t now, double max_age)
{
	if (s->kind != HEALTH_SAVED_ENDPOINT || s->state == HEALTH_UNKNOWN)
		return 0;
	/* a clock that went backwards makes the record from the future: not fresh */
	return s->at <= now && (double)(now - s->at) <= max_age;
}
