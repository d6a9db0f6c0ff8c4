/*
 * ecs.c -- EDNS Client Subnet option values (RFC 7871 section 6), parsed
 * and built on caller buffers.  Runs on workers: no allocation, no state,
 * never reads past len.
 */
#include <errno.h>
#include <string.h>

#include "geo/geo_int.h"

/* RFC 7871: FAMILY (2), SOURCE PREFIX-LENGTH (1), SCOPE PREFIX-LENGTH (1). */
#define ECS_HEADER_LEN 4
/* IANA address family numbers used by the FAMILY field. */
#define ECS_FAMILY_IPV4 1
#define ECS_FAMILY_IPV6 2

int
geo_ecs_parse(const uint8_t *data, size_t len, struct geo_addr *out, unsigned *scope)
{
	unsigned fam, src, nbytes;

	if (data == NULL || len < ECS_HEADER_LEN)
		return -EINVAL;
	fam = (unsigned)data[0] << 8 | data[1];
	if (fam != ECS_FAMILY_IPV4 && fam != ECS_FAMILY_IPV6)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = fam == ECS_FAMILY_IPV4 ? 4 : 6;
	src = data[2];
	nbytes = (src + 7) / 8;
	/* RFC 7871 section 6: ADDRESS is exactly the prefix's octets, and
	 * bits past the prefix MUST be zero; both are FORMERR cases. */
	if (src > geo_addr_bits(out) || len - ECS_HEADER_LEN != nbytes)
		return -EINVAL;
	memcpy(out->bytes, data + ECS_HEADER_LEN, nbytes);
	if (src % 8 != 0 && (out->bytes[nbytes - 1] & (0xff >> (src % 8))) != 0)
		return -EINVAL;
	out->prefix = src;
	if (scope != NULL)
		*scope = data[3];
	return 0;
}

int
geo_ecs_encode(const struct geo_addr *src, unsigned scope, uint8_t *buf, size_t cap)
{
	unsigned fam, nbytes;

	if (src == NULL || (src->family != 4 && src->family != 6) || src->prefix > geo_addr_bits(src))
		return -EINVAL;
	fam = src->family == 4 ? ECS_FAMILY_IPV4 : ECS_FAMILY_IPV6;
	nbytes = (src->prefix + 7) / 8;
	if (cap < ECS_HEADER_LEN + nbytes)
		return -ENOSPC;
	buf[0] = (uint8_t)(fam >> 8);
	buf[1] = (uint8_t)fam;
	buf[2] = (uint8_t)src->prefix;
	buf[3] = (uint8_t)(scope > 255 ? 255 : scope);
	memcpy(buf + ECS_HEADER_LEN, src->bytes, nbytes);
	/* The response echoes the query's address; mask anyway so a caller
	 * passing a host address cannot leak bits past the prefix. */
	if (src->prefix % 8 != 0)
		buf[ECS_HEADER_LEN + nbytes - 1] &= (uint8_t)(0xff << (8 - src->prefix % 8));
	return (int)(ECS_HEADER_LEN + nbytes);
}
