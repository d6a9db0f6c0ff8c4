/*
 * dname.c -- wire-format domain names.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dnsd/proto/dname.h"

static inline uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int
dname_parse(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out, int lower)
{
	size_t p = *pos, end = 0;
	int n = 0, jumps = 0;

	for (;;) {
		if (p >= len)
			return -1;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > 64)	/* 64 pointers: a loop */
				return -1;
			if (end == 0)
				end = p + 2;
			size_t target = ((size_t)(l & 0x3f) << 8) | msg[p + 1];
			if (target >= p)
				return -1;	/* only backwards: no loops */
			p = target;
			continue;
		}
		if (l & 0xc0)
			return -1;	/* 0x40/0x80: extended label types are obsolete */
		if (n + 1 + l > DNAME_MAX || p + 1 + l > len)
			return -1;
		out[n++] = l;
		if (l == 0)
			break;
		for (int i = 0; i < l; i++)
			out[n++] = lower ? lc(msg[p + 1 + i]) : msg[p + 1 + i];
		p += 1 + l;
	}
	*pos = end ? end : p + 1;
	return n;
}

size_t
dname_len(const uint8_t *name)
{
	const uint8_t *p = name;

	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int
dname_labels(const uint8_t *name)
{
	int n = 0;

	for (; *name; name += *name + 1)
		n++;
	return n;
}

int
dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return 0;
		if (*a == 0)
			return 1;
		for (int i = 1; i <= *a; i++)
			if (lc(a[i]) != lc(b[i]))
				return 0;
		a += *a + 1;
		b += *b + 1;
	}
}

const uint8_t *
dname_parent(const uint8_t *name)
{
	return *name ? name + *name + 1 : name;
}

int
dname_is_under(const uint8_t *name, const uint8_t *zone)
{
	int nl = dname_labels(name), zl = dname_labels(zone);

	if (nl < zl)
		return 0;
	while (nl-- > zl)
		name = dname_parent(name);
	return dname_equal(name, zone);
}

/* The 64-bit finaliser of MurmurHash3: every input bit reaches the low
 * bits that bucket masks keep. */
static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Eight bytes a step: names are hashed a few times per query (zone, then
 * node), and byte-wise FNV cost more than the rest of the lookup. */
uint32_t
dname_hash(const uint8_t *name, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	for (; len >= 8; name += 8, len -= 8) {
		memcpy(&w, name, 8);
		h = (h ^ w) * 0x87c37b91114253d5ull;
		h ^= h >> 31;
	}
	w = 0;
	for (size_t i = 0; i < len; i++)
		w |= (uint64_t)name[i] << (8 * i);
	return (uint32_t)mix64(h ^ w);
}

void
dname_lower(uint8_t *name)
{
	for (; *name; name += *name + 1)
		for (int i = 1; i <= *name; i++)
			name[i] = lc(name[i]);
}

void
dname_to_text(const uint8_t *name, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return;
	if (*name == 0) {
		snprintf(buf, cap, ".");
		return;
	}
	for (; *name && n + 1 < cap; name += *name + 1) {
		for (int i = 1; i <= *name && n + 4 < cap; i++) {
			uint8_t c = name[i];
			if (c == '.' || c == '\\')
				n += snprintf(buf + n, cap - n, "\\%c", c);
			else if (isgraph(c))
				buf[n++] = (char)c;
			else
				n += snprintf(buf + n, cap - n, "\\%03u", c);
		}
		if (n + 1 < cap)
			buf[n++] = '.';
	}
	buf[n < cap ? n : cap - 1] = '\0';
}

/* Offsets of name's labels, first label first; returns how many (the
 * root label not counted). */
static int
label_offsets(const uint8_t *name, uint8_t off[DNAME_MAX / 2 + 1])
{
	int n = 0;

	for (size_t p = 0; name[p] != 0; p += 1u + name[p])
		off[n++] = (uint8_t)p;
	return n;
}

int
dname_canonical_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t ao[DNAME_MAX / 2 + 1], bo[DNAME_MAX / 2 + 1];
	int na = label_offsets(a, ao), nb = label_offsets(b, bo);

	for (int i = na - 1, j = nb - 1; i >= 0 && j >= 0; i--, j--) {
		const uint8_t *la = a + ao[i], *lb = b + bo[j];
		size_t n = *la < *lb ? *la : *lb;
		int c = memcmp(la + 1, lb + 1, n);
		if (c != 0)
			return c;
		if (*la != *lb)
			return (int)*la - (int)*lb;
	}
	return na - nb;
}
