/*
 * arena.c -- chunked bump allocator.  Chunks are mapped straight from the
 * kernel (mmap), not taken from malloc's heap: a zone's arena would
 * otherwise sit among the loader's freed temporaries (the JSON tree), and
 * the heap could not give that memory back.  Chunks grow from 64 KiB to
 * 4 MiB; pages never touched cost nothing, and arena_free() returns
 * everything at once.  Fresh mappings are zeroed by the kernel and memory
 * is never reused, so nothing needs clearing.  Byte copies (names, rdata)
 * are packed without padding; other allocations are 8-byte aligned, which
 * is all the structures placed here need.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dnsd/util/arena.h"

#define ARENA_FIRST (64 * 1024)
#define ARENA_MAX_CHUNK (4 * 1024 * 1024)
#define ARENA_ALIGN 8

struct chunk {
	struct chunk *next;
	size_t used, cap, maplen;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t total;
	size_t next_cap;	/* size of the next ordinary chunk */
	struct arena *scratch;	/* arena_scratch(), NULL until asked for */
};

struct arena *
arena_new(void)
{
	struct arena *a = calloc(1, sizeof(struct arena));

	if (a != NULL)
		a->next_cap = ARENA_FIRST;
	return a;
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	arena_free(a->scratch);
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		munmap(c, c->maplen);
	}
	free(a);
}

static struct chunk *
chunk_new(size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (sizeof(struct chunk) + cap + page - 1) & ~(page - 1);
	struct chunk *c;

	if (cap > SIZE_MAX / 2)
		return NULL;
	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	/* a big zone's arena is hundreds of megabytes written once, in
	 * order: on huge pages where the kernel gives them (THP "madvise"),
	 * half the page faults of a 1,000,000-record load go */
	if (len >= 2 * 1024 * 1024)
		madvise(c, len, MADV_HUGEPAGE);
	c->next = NULL;
	c->used = 0;
	c->cap = len - sizeof(*c);
	c->maplen = len;
	return c;
}

static void *
take(struct arena *a, size_t size, size_t align)
{
	struct chunk *c = a->head;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
	void *p;

	if (size == 0)
		size = 1;
	if (c == NULL || at > c->cap || c->cap - at < size) {
		/* bigger requests make the chunks grow sooner, so that only
		 * the very large ones (over 1 MiB) need a mapping of their own */
		while (size > a->next_cap / 4 && a->next_cap < ARENA_MAX_CHUNK)
			a->next_cap *= 2;
		size_t cap = a->next_cap;
		if (size > cap / 4) {
			/* a large request gets a chunk of its own, behind the
			 * current one, which keeps serving small requests */
			if ((c = chunk_new(size)) == NULL)
				return NULL;
			if (a->head != NULL) {
				c->next = a->head->next;
				a->head->next = c;
			} else {
				a->head = c;
			}
		} else {
			if ((c = chunk_new(cap)) == NULL)
				return NULL;
			c->next = a->head;
			a->head = c;
			if (a->next_cap < ARENA_MAX_CHUNK)
				a->next_cap *= 2;
		}
		at = 0;
		c->used = 0;
	}
	p = c->data + at;
	c->used = at + size;
	a->total += size;
	return p;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	return take(a, size, ARENA_ALIGN);
}

void *
arena_bytes(struct arena *a, size_t size)
{
	return take(a, size, 1);
}

void *
arena_memdup(struct arena *a, const void *src, size_t size)
{
	void *p = take(a, size, 1);

	if (p != NULL && size > 0)
		memcpy(p, src, size);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_memdup(a, s, strlen(s) + 1);
}

size_t
arena_size(const struct arena *a)
{
	return a->total;
}

struct arena *
arena_scratch(struct arena *a)
{
	if (a->scratch == NULL)
		a->scratch = arena_new();
	return a->scratch;
}

void
arena_scratch_free(struct arena *a)
{
	arena_free(a->scratch);
	a->scratch = NULL;
}

int
arena_owns(const struct arena *a, const void *p)
{
	const unsigned char *b = p;

	for (const struct chunk *c = a != NULL ? a->head : NULL; c != NULL; c = c->next)
		if (b >= c->data && b < c->data + c->used)
			return 1;
	return 0;
}

void
arena_reset(struct arena *a)
{
	struct chunk *c, *next;

	if (a->head == NULL)
		return;
	/* the newest chunk stays, for the next round of the same sizes */
	for (c = a->head->next; c != NULL; c = next) {
		next = c->next;
		munmap(c, c->maplen);
	}
	a->head->next = NULL;
	memset(a->head->data, 0, a->head->used);	/* arena_alloc() hands out zeroes */
	a->head->used = 0;
	a->total = 0;
}
