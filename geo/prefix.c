/*
 * prefix.c -- longest-prefix sets for the published latency table (built
 * per publish; why it is not in the address table: docs/routing.md §11):
 * per prefix length a sorted array of masked keys, looked up longest
 * length first with a binary search.  The scope of docs/routing.md §8
 * comes out of the same walk, from the sorted neighbours.
 */
#include <stdint.h>

#include "geo/geo_int.h"

void
geo_prefix_set_add(struct geo_prefix_set *s, size_t i, unsigned len)
{
	struct geo_plen *l = &s->lens[s->nlens];

	if (s->nlens == 0 || l[-1].len != len) {
		l->len = len;
		l->first = i;
		l->n = 0;
		s->nlens++;
	} else {
		l--;
	}
	l->n++;
}

/* First index of v[0..n) whose key is not below k. */
static size_t
lower_bound(const struct geo_key *v, size_t n, struct geo_key k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (geo_key_cmp(v[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Among the keys of one length that do not hold c, the one sharing most
 * leading bits with c sits next to c's place in the sorted run: c's
 * network k is itself a key of that length, or falls between two, and
 * keys sharing more bits with k lie closer to it.
 */
size_t
geo_prefix_next(const struct geo_prefix_set *s, struct geo_key c, unsigned *at, unsigned *scope)
{
	while (*at < s->nlens) {
		const struct geo_plen *l = &s->lens[(*at)++];
		const struct geo_key *v = s->keys + l->first;
		struct geo_key k = geo_key_mask(c, l->len);
		size_t pos = lower_bound(v, l->n, k), after = pos;
		int hit = pos < l->n && geo_key_cmp(v[pos], k) == 0;
		unsigned cb;

		if (hit) {
			if (l->len > *scope)
				*scope = l->len;
			after = pos + 1;
		}
		if (pos > 0 && (cb = geo_key_common(c, v[pos - 1]) + 1) > *scope)
			*scope = cb;
		if (after < l->n && (cb = geo_key_common(c, v[after]) + 1) > *scope)
			*scope = cb;
		if (hit)
			return l->first + pos;
	}
	return SIZE_MAX;
}
