/*
 * test_tmp.h -- one scratch folder per test binary, and files written
 * into it: what the tests that load configs, zones and state files from
 * disk share.  Included once per binary; everything here is static.
 */
#ifndef DNSD_TEST_TMP_H
#define DNSD_TEST_TMP_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[64];

/* Makes /tmp/TAG.XXXXXX the scratch folder.  0, or -1. */
static int
tmp_make(const char *tag)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", tag);
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

/* Removes the scratch folder and all in it.  0, or -1. */
static int
tmp_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The path of name in the scratch folder; valid until four more calls. */
static const char *
tmp_path(const char *name)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* Writes text to name in the scratch folder and returns its path (as
 * tmp_path()); fails the test when it cannot. */
static const char *
tmp_write(const char *name, const char *text)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#endif
