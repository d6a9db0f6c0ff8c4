/*
 * fuzz.h -- helpers shared by the harnesses in tests/fuzz/fuzz_<target>.c.
 *
 * Each harness defines LLVMFuzzerTestOneInput.  Built with DNSD_FUZZ
 * (clang) it links libFuzzer; otherwise replay.c supplies a main that runs
 * every seed of tests/fuzz/corpus/<target>/ once (ctest label "fuzz").
 * Inputs are copied into exact-size heap buffers so ASan sees a read one
 * byte past the end; loaders that only take a path get the input through
 * a file in a private temporary directory, rewritten for every input.
 */
#ifndef DNSD_FUZZ_H
#define DNSD_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness's own check failed: print why and abort, so libFuzzer keeps
 * the input as a crash and the replay test fails. */
#define FUZZ_CHECK(cond)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* Exact-size heap copy of the input (size 0 gives a zero-size block). */
static inline uint8_t *
fuzz_dup(const uint8_t *data, size_t size)
{
	uint8_t *p = calloc(1, size ? size : 1);	/* zeroed: GCC cannot see size 0 is never read */

	FUZZ_CHECK(p != NULL);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* Exact-size heap copy with a terminating NUL, for C-string APIs. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	FUZZ_CHECK(p != NULL);
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* The source tree: $DNSD_SRC, else where CMake configured us from. */
static inline const char *
fuzz_src(void)
{
	const char *s = getenv("DNSD_SRC");

	return s && *s ? s : DNSD_SRC_DIR;
}

static char fuzz_tmp[256];

static inline void
fuzz_tmp_cleanup(void)
{
	char cmd[300];

	if (fuzz_tmp[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_tmp);
	fuzz_tmp[0] = '\0';
}

/* This process's temporary directory, made on first use, removed at exit. */
static inline const char *
fuzz_tmpdir(void)
{
	if (fuzz_tmp[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/dnsd-fuzz.XXXXXX", t && *t ? t : "/tmp");
		FUZZ_CHECK(mkdtemp(fuzz_tmp) != NULL);
		atexit(fuzz_tmp_cleanup);
	}
	return fuzz_tmp;
}

/* Writes the input to fuzz_tmpdir()/name (replacing it); returns the path,
 * valid until the next call. */
static inline const char *
fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	FUZZ_CHECK(close(fd) == 0);
	return path;
}

#endif
