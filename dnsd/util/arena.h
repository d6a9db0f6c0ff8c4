/*
 * arena.h -- bump allocator for a snapshot: everything a snapshot holds
 * comes from one arena and is freed by one call.  Load time only; not
 * thread-safe.  Allocation failure returns NULL (a reload reports it).
 */
#ifndef DNSD_ARENA_H
#define DNSD_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);	/* accepts NULL */
/* Zeroed, 8-byte aligned memory valid until arena_free(); NULL on OOM. */
void *arena_alloc(struct arena *a, size_t size);
/* Copies of memory and strings into the arena, byte-aligned (packed);
 * NULL on OOM. */
void *arena_memdup(struct arena *a, const void *src, size_t size);
char *arena_strdup(struct arena *a, const char *s);
/* Forgets everything handed out, keeping one chunk mapped (cleared):
 * memory for one step of a loop (the records of one RRset while it is
 * read). */
void arena_reset(struct arena *a);
/* size bytes, byte-aligned (packed) and zeroed; NULL on OOM. */
void *arena_bytes(struct arena *a, size_t size);
/* A second arena owned by a, for what a later load step moves into a or
 * drops (a zone's records until its answers are prepared); made on first
 * use, freed by arena_scratch_free() or with a.  NULL on OOM. */
struct arena *arena_scratch(struct arena *a);
void arena_scratch_free(struct arena *a);
/* Whether p lies in memory a handed out (a walk over its chunks). */
int arena_owns(const struct arena *a, const void *p);
size_t arena_size(const struct arena *a);	/* bytes handed out */

#endif
