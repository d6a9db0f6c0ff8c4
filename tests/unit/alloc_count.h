/*
 * alloc_count.h -- counts every allocation the process makes while
 * alloc_counting is set: malloc, calloc, realloc and the aligned forms are
 * replaced in the test binary that includes this (once), so calls from
 * inside shared libraries count too.  For the tests that prove a path
 * never allocates (docs/performance.md §6); sanitizers own these entry
 * points, so such tests are not built with them (tests/unit/CMakeLists.txt).
 */
#ifndef DNSD_TEST_ALLOC_COUNT_H
#define DNSD_TEST_ALLOC_COUNT_H

#include <errno.h>
#include <stddef.h>

static int alloc_counting;
static unsigned long alloc_count;

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

void *
malloc(size_t n)
{
	alloc_count += alloc_counting;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	alloc_count += alloc_counting;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	alloc_count += alloc_counting;
	return __libc_realloc(p, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	alloc_count += alloc_counting;
	return __libc_memalign(align, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	alloc_count += alloc_counting;
	*out = __libc_memalign(align, n);
	return *out ? 0 : ENOMEM;
}

#endif
