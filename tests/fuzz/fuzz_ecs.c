/*
 * fuzz_ecs.c -- the EDNS Client Subnet option value (RFC 7871 section 6):
 * geo_ecs_parse on the input, and geo_ecs_encode both ways round.
 *
 * Checks: a value that parses encodes back to exactly its bytes (with the
 * same scope), and to -ENOSPC, untouched, in a buffer one byte short; an
 * address built from the input (family, prefix, 16 bytes, any bits set)
 * encodes with the bits past the prefix cleared, and that parses back to
 * the same masked address.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "geo/geo.h"

/* Clears the bits past the prefix. */
static void
mask(struct geo_addr *a)
{
	for (unsigned b = a->prefix; b < 128; b++)
		a->bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
}

/* Parse, then encode into exact-size and one-short buffers. */
static void
parse_then_encode(const uint8_t *v, size_t len)
{
	struct geo_addr a;
	unsigned scope = 999;
	uint8_t *out;
	int n;

	if (geo_ecs_parse(v, len, &a, &scope) != 0)
		return;
	FUZZ_CHECK(a.family == 4 || a.family == 6);
	FUZZ_CHECK(a.prefix <= (a.family == 4 ? 32u : 128u));
	FUZZ_CHECK(len == 4 + (a.prefix + 7) / 8 && scope <= 255);
	out = fuzz_dup(v, len);
	memset(out, 0xa5, len);
	n = geo_ecs_encode(&a, scope, out, len);
	FUZZ_CHECK(n == (int)len && memcmp(out, v, len) == 0);
	memset(out, 0xa5, len);
	FUZZ_CHECK(geo_ecs_encode(&a, scope, out, len - 1) == -ENOSPC);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(out[i] == 0xa5);
	free(out);
}

/* An address from the input, encoded, then parsed back. */
static void
encode_then_parse(const uint8_t *d, size_t len)
{
	struct geo_addr a, back;
	unsigned scope = 0;
	uint8_t *out;
	int n;

	if (len < 19)
		return;
	memset(&a, 0, sizeof(a));
	a.family = d[0] & 1 ? 6 : 4;
	a.prefix = d[1];
	memcpy(a.bytes, d + 3, a.family == 4 ? 4 : 16);
	out = malloc(4 + 16);
	FUZZ_CHECK(out != NULL);
	n = geo_ecs_encode(&a, d[2], out, 4 + 16);
	if (a.prefix > (a.family == 4 ? 32u : 128u)) {
		FUZZ_CHECK(n == -EINVAL);
		free(out);
		return;
	}
	FUZZ_CHECK(n == (int)(4 + (a.prefix + 7) / 8));
	FUZZ_CHECK(geo_ecs_parse(out, (size_t)n, &back, &scope) == 0);
	mask(&a);
	FUZZ_CHECK(back.family == a.family && back.prefix == a.prefix && scope == d[2]);
	FUZZ_CHECK(memcmp(back.bytes, a.bytes, sizeof(a.bytes)) == 0);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *v = fuzz_dup(data, size);

	parse_then_encode(v, size);
	encode_then_parse(v, size);
	free(v);
	return 0;
}
