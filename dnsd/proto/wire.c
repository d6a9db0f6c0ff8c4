/*
 * wire.c -- DNS message parse and build.  Runs on workers; never allocates.
 */
#include <string.h>

#include "dnsd/proto/wire.h"

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Skips one RR of an answer or authority section; an OPT there is
 * malformed (RFC 6891 6.1.1: it belongs in the additional section). */
static int
skip_rr(const uint8_t *pkt, size_t len, size_t *pos)
{
	uint8_t name[DNAME_MAX];

	if (dname_parse(pkt, len, pos, name, 0) < 0 || *pos + 10 > len ||
	    wire_get16(pkt + *pos) == WIRE_T_OPT)
		return -1;
	size_t rdlen = wire_get16(pkt + *pos + 8);
	if (*pos + 10 + rdlen > len)
		return -1;
	*pos += 10 + rdlen;
	return 0;
}

static int
parse_options(const uint8_t *p, size_t len, struct wire_query *q)
{
	size_t pos = 0;

	while (pos < len) {
		if (pos + 4 > len)
			return WIRE_EFORMERR;
		uint16_t code = wire_get16(p + pos), olen = wire_get16(p + pos + 2);
		pos += 4;
		if (pos + olen > len)
			return WIRE_EFORMERR;
		if (code == WIRE_OPT_NSID) {
			q->nsid = 1;
		} else if (code == WIRE_OPT_ECS) {
			unsigned scope;
			if (q->ecs || geo_ecs_parse(p + pos, olen, &q->ecs_addr, &scope) < 0)
				return WIRE_EFORMERR;
			q->ecs = 1;
		}
		/* other options are ignored, as RFC 6891 section 6.1.2 says */
		pos += olen;
	}
	return WIRE_OK;
}

/* The additional section: at most one OPT, owned by the root. */
static int
parse_additional(const uint8_t *pkt, size_t len, size_t *pos, int count, struct wire_query *q)
{
	uint8_t name[DNAME_MAX];

	for (int i = 0; i < count; i++) {
		int nlen = dname_parse(pkt, len, pos, name, 0);
		if (nlen < 0 || *pos + 10 > len)
			return WIRE_EFORMERR;
		const uint8_t *f = pkt + *pos;
		size_t rdlen = wire_get16(f + 8);
		if (*pos + 10 + rdlen > len)
			return WIRE_EFORMERR;
		*pos += 10 + rdlen;
		if (wire_get16(f) == WIRE_T_TSIG)
			q->tsig = 1;	/* checked where keys are known (dnsd/server/xfr.c) */
		if (wire_get16(f) != WIRE_T_OPT)
			continue;
		if (q->edns || nlen != 1)
			return WIRE_EFORMERR;
		q->edns = 1;
		q->udp_size = wire_get16(f + 2);
		uint32_t ttl = get32(f + 4);
		q->edns_version = (uint8_t)(ttl >> 16);
		q->edns_do = (ttl & 0x8000) != 0;
		int rc = parse_options(f + 10, rdlen, q);
		if (rc != WIRE_OK)
			return rc;
	}
	return WIRE_OK;
}

/* Lowercases eight bytes at once: a byte gains 0x20 when it is 'A'..'Z'
 * (bytes with the top bit set are left alone, as lc() leaves them). */
static inline uint64_t
lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t low7 = x & ~high;
	uint64_t ge_a = low7 + ones * (0x80 - 'A');
	uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);

	return x | ((ge_a & ~gt_z & ~x & high) >> 2);
}

/* The question name, lowercased into out.  It cannot be compressed (a
 * pointer could only aim into the header), so it is one run of bytes:
 * check the label lengths, then lowercase the run a word at a time
 * (length bytes are below 64 and pass unchanged).  Its length, or -1. */
static int
parse_qname(const uint8_t *pkt, size_t len, uint8_t *out)
{
	size_t p = WIRE_HDR, n, i;
	uint64_t w;

	for (;;) {
		if (p >= len || (pkt[p] & 0xc0) || p - WIRE_HDR + 1u + pkt[p] > DNAME_MAX)
			return -1;
		if (pkt[p] == 0)
			break;
		p += 1u + pkt[p];
	}
	n = p + 1 - WIRE_HDR;
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, pkt + WIRE_HDR + i, 8);
		w = lower8(w);
		memcpy(out + i, &w, 8);
	}
	for (; i < n; i++) {
		uint8_t c = pkt[WIRE_HDR + i];
		out[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
	}
	return (int)n;
}

int
wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	size_t pos = WIRE_HDR;
	int rc;

	q->id = q->flags = q->qtype = q->qclass = 0;
	q->qname_len = 0;
	q->qend = 0;
	q->edns = q->nsid = q->ecs = q->edns_do = q->tsig = 0;
	q->udp_size = 0;
	q->edns_version = 0;
	if (len < WIRE_HDR)
		return WIRE_EDROP;
	q->id = wire_get16(pkt);
	q->flags = wire_get16(pkt + 2);
	if (q->flags & WIRE_F_QR)
		return WIRE_EDROP;
	uint16_t qd = wire_get16(pkt + 4), an = wire_get16(pkt + 6);
	uint16_t ns = wire_get16(pkt + 8), ar = wire_get16(pkt + 10);
	if (qd == 1) {
		q->qname_len = parse_qname(pkt, len, q->qname);
		if (q->qname_len < 0 || (pos += (size_t)q->qname_len) + 4 > len)
			return WIRE_OPCODE(q->flags) ? WIRE_ENOTIMP : WIRE_EFORMERR;
		q->qtype = wire_get16(pkt + pos);
		q->qclass = wire_get16(pkt + pos + 2);
		pos += 4;
		q->qend = pos;
	}
	if (WIRE_OPCODE(q->flags) != 0)
		return WIRE_ENOTIMP;
	if (qd != 1)
		return WIRE_EFORMERR;
	for (int i = 0; i < an + ns; i++)
		if (skip_rr(pkt, len, &pos) < 0)
			return WIRE_EFORMERR;
	rc = parse_additional(pkt, len, &pos, ar, q);
	if (rc != WIRE_OK)
		return rc;
	if (pos != len)
		return WIRE_EFORMERR;	/* bytes the counts do not account for */
	if (q->qtype == WIRE_T_OPT)
		return WIRE_EFORMERR;
	if (q->edns && q->edns_version > 0)
		return WIRE_EBADVERS;
	return WIRE_OK;
}

void
wire_buf_init(struct wire_buf *b, uint8_t *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = 0;
	b->ncomp = 0;
}

void
wire_put_bytes(struct wire_buf *b, const void *src, size_t n)
{
	if (b->overflow || b->cap - b->len < n) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

void
wire_put_u16(struct wire_buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v & 0xff };

	wire_put_bytes(b, x, 2);
}

void
wire_put_u32(struct wire_buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

	wire_put_bytes(b, x, 4);
}

static void
comp_add(struct wire_buf *b, size_t off)
{
	if (b->ncomp < WIRE_COMP_MAX && off < 0x4000)
		b->comp[b->ncomp++] = (uint16_t)off;
}

void
wire_put_header_question(struct wire_buf *b, const uint8_t *pkt, const struct wire_query *q)
{
	uint16_t flags = WIRE_F_QR | (q->flags & (0x7800 | WIRE_F_RD | WIRE_F_CD));
	uint8_t hdr[WIRE_HDR] = { q->id >> 8, q->id & 0xff, flags >> 8, flags & 0xff, 0, q->qend ? 1 : 0 };

	wire_put_bytes(b, hdr, sizeof(hdr));
	if (q->qend == 0)
		return;
	/* the question as it came (never compressed: the parser refuses
	 * that), so the client's case (0x20) survives */
	wire_put_bytes(b, pkt + WIRE_HDR, q->qend - WIRE_HDR);
	/* every suffix of the question name can be pointed at */
	for (size_t off = WIRE_HDR; !b->overflow && b->p[off] != 0; off += b->p[off] + 1u)
		comp_add(b, off);
}

/* Does the name at off in the message (maybe compressed) equal name? */
static int
msg_name_equal(const uint8_t *msg, size_t off, const uint8_t *name)
{
	for (int hops = 0; hops < 64;) {
		uint8_t l = msg[off];
		if ((l & 0xc0) == 0xc0) {
			off = ((size_t)(l & 0x3f) << 8) | msg[off + 1];
			hops++;
			continue;
		}
		if (l != *name)
			return 0;
		if (l == 0)
			return 1;
		for (int i = 1; i <= l; i++) {
			uint8_t a = msg[off + i], c = name[i];
			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (a != c)
				return 0;
		}
		off += l + 1;
		name += l + 1;
	}
	return 0;
}

static int
comp_find(const struct wire_buf *b, const uint8_t *suffix)
{
	for (int i = 0; i < b->ncomp; i++)
		if (msg_name_equal(b->p, b->comp[i], suffix))
			return b->comp[i];
	return -1;
}


void
wire_put_name(struct wire_buf *b, const uint8_t *name)
{
	const uint8_t *s;
	int ptr = -1;

	/* find the longest suffix already in the message */
	for (s = name; *s; s += *s + 1)
		if ((ptr = comp_find(b, s)) >= 0)
			break;
	for (const uint8_t *l = name; l != s && !b->overflow; l += *l + 1) {
		comp_add(b, b->len);
		wire_put_bytes(b, l, (size_t)*l + 1);
	}
	if (ptr >= 0)
		wire_put_u16(b, 0xc000 | (uint16_t)ptr);
	else
		wire_put_bytes(b, "", 1);
}

void
wire_put_rr(struct wire_buf *b, const uint8_t *owner, uint16_t type, uint16_t rclass,
	    uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, int ncomp, const uint16_t *comp_off)
{
	size_t rdlen_at, from = 0;

	wire_put_name(b, owner);
	wire_put_u16(b, type);
	wire_put_u16(b, rclass);
	wire_put_u32(b, ttl);
	rdlen_at = b->len;
	wire_put_u16(b, rdlen);
	if (ncomp == 0) {
		wire_put_bytes(b, rdata, rdlen);
		return;
	}
	for (int i = 0; i < ncomp; i++) {
		wire_put_bytes(b, rdata + from, comp_off[i] - from);
		wire_put_name(b, rdata + comp_off[i]);
		from = comp_off[i] + dname_len(rdata + comp_off[i]);
	}
	wire_put_bytes(b, rdata + from, rdlen - from);
	if (!b->overflow) {
		size_t n = b->len - rdlen_at - 2;
		b->p[rdlen_at] = (uint8_t)(n >> 8);
		b->p[rdlen_at + 1] = (uint8_t)n;
	}
}

void
wire_put_rr_at(struct wire_buf *b, uint16_t owner_off, uint16_t type, uint16_t rclass,
	       uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t f[12] = { 0xc0 | owner_off >> 8, owner_off & 0xff, type >> 8, type & 0xff,
			  rclass >> 8, rclass & 0xff, ttl >> 24, (ttl >> 16) & 0xff, (ttl >> 8) & 0xff,
			  ttl & 0xff, rdlen >> 8, rdlen & 0xff };

	wire_put_bytes(b, f, sizeof(f));
	wire_put_bytes(b, rdata, rdlen);
}

void
wire_set_count(struct wire_buf *b, int section, uint16_t n)
{
	if (b->cap < WIRE_HDR)
		return;
	b->p[4 + 2 * section] = (uint8_t)(n >> 8);
	b->p[5 + 2 * section] = (uint8_t)n;
}

uint16_t
wire_get_count(const struct wire_buf *b, int section)
{
	return wire_get16(b->p + 4 + 2 * section);
}

void
wire_set_flags(struct wire_buf *b, uint16_t set, uint16_t clear)
{
	uint16_t f = (uint16_t)((wire_get16(b->p + 2) | set) & ~clear);

	b->p[2] = (uint8_t)(f >> 8);
	b->p[3] = (uint8_t)f;
}

void
wire_set_rcode(struct wire_buf *b, unsigned rcode)
{
	b->p[3] = (uint8_t)((b->p[3] & 0xf0) | (rcode & 0x0f));
}
