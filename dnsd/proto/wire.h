/*
 * wire.h -- DNS message parse and build on caller buffers (RFC 1035, EDNS
 * RFC 6891, NSID RFC 5001, ECS RFC 7871).  Runs on workers.  Never
 * allocates; a parser points into the packet, a builder writes through a
 * bounded cursor whose overflow is sticky and checked once at the end.
 */
#ifndef DNSD_WIRE_H
#define DNSD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd/proto/dname.h"
#include "geo/geo.h"

#define WIRE_HDR 12
#define WIRE_UDP_MIN 512	/* RFC 1035: every client takes 512 bytes */
#define WIRE_MAX 65535

enum {
	WIRE_T_A = 1, WIRE_T_NS = 2, WIRE_T_CNAME = 5, WIRE_T_SOA = 6,
	WIRE_T_PTR = 12, WIRE_T_HINFO = 13, WIRE_T_MX = 15, WIRE_T_TXT = 16,
	WIRE_T_AAAA = 28, WIRE_T_SRV = 33, WIRE_T_NAPTR = 35, WIRE_T_DNAME = 39,
	WIRE_T_OPT = 41, WIRE_T_DS = 43, WIRE_T_RRSIG = 46, WIRE_T_SVCB = 64,
	WIRE_T_HTTPS = 65, WIRE_T_TSIG = 250, WIRE_T_IXFR = 251, WIRE_T_AXFR = 252, WIRE_T_MAILB = 253,
	WIRE_T_MAILA = 254, WIRE_T_ANY = 255, WIRE_T_CAA = 257,
};
enum { WIRE_C_IN = 1, WIRE_C_CH = 3, WIRE_C_ANY = 255 };
enum {
	WIRE_RCODE_NOERROR = 0, WIRE_RCODE_FORMERR = 1, WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3, WIRE_RCODE_NOTIMP = 4, WIRE_RCODE_REFUSED = 5,
	WIRE_RCODE_YXDOMAIN = 6, WIRE_RCODE_BADVERS = 16,
};
enum { WIRE_OPT_NSID = 3, WIRE_OPT_ECS = 8 };

/* Header flag bits in the second 16-bit word. */
#define WIRE_F_QR 0x8000
#define WIRE_F_AA 0x0400
#define WIRE_F_TC 0x0200
#define WIRE_F_RD 0x0100
#define WIRE_F_RA 0x0080
#define WIRE_F_AD 0x0020
#define WIRE_F_CD 0x0010
#define WIRE_OPCODE(f) (((f) >> 11) & 0xf)

/* Parse outcomes that are not a question to answer. */
enum wire_parse {
	WIRE_OK = 0,
	WIRE_EDROP = -1001,	/* not worth an answer: no header, or QR set */
	WIRE_EFORMERR = -1002,
	WIRE_ENOTIMP = -1003,	/* opcode other than QUERY */
	WIRE_EBADVERS = -1004,	/* EDNS version > 0 */
};

struct wire_query {
	uint16_t id, flags;
	uint16_t qtype, qclass;
	uint8_t qname[DNAME_MAX];	/* lowercased */
	int qname_len;
	size_t qend;		/* end of the question in the packet; 0 if unparsed */
	/* EDNS */
	int edns;		/* OPT present */
	uint16_t udp_size;	/* the client's buffer size */
	uint8_t edns_version;
	int edns_do;
	int nsid;		/* NSID asked for */
	int ecs;		/* ECS present */
	struct geo_addr ecs_addr;
	int tsig;		/* a TSIG record in the additional section */
};

/* Parses a query.  WIRE_OK, or one of enum wire_parse; for FORMERR,
 * NOTIMP and BADVERS the fields parsed so far (id, flags, question when
 * qend != 0, EDNS) are valid for building the error answer. */
int wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q);

/* Names written so far, for compression.  Offsets past 0x3fff cannot be
 * pointed at; 64 entries cover any answer we build at load-time sizes. */
#define WIRE_COMP_MAX 64

struct wire_buf {
	uint8_t *p;
	size_t len, cap;
	int overflow;		/* sticky: something did not fit */
	int ncomp;
	uint16_t comp[WIRE_COMP_MAX];
};

void wire_buf_init(struct wire_buf *b, uint8_t *p, size_t cap);
/* Header and the query's question copied as it came (case preserved);
 * q comes from wire_query_parse() of pkt, which refuses compressed
 * question names, so the question's bytes are the name itself. */
void wire_put_header_question(struct wire_buf *b, const uint8_t *pkt, const struct wire_query *q);
void wire_put_u16(struct wire_buf *b, uint16_t v);
void wire_put_u32(struct wire_buf *b, uint32_t v);
void wire_put_bytes(struct wire_buf *b, const void *src, size_t n);
/* A name, compressed against names written before it. */
void wire_put_name(struct wire_buf *b, const uint8_t *name);
/* One RR: owner, type, class, ttl, rdata; names inside rdata at the ncomp
 * offsets in comp_off are compressed (only for types RFC 3597 lets us). */
void wire_put_rr(struct wire_buf *b, const uint8_t *owner, uint16_t type, uint16_t rclass,
		 uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, int ncomp, const uint16_t *comp_off);
/* One RR whose owner is already in the message at owner_off (the
 * question's name at WIRE_HDR, say): a pointer, no compression search;
 * rdata copied as it is. */
void wire_put_rr_at(struct wire_buf *b, uint16_t owner_off, uint16_t type, uint16_t rclass,
		    uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* Header field helpers on a built message. */
void wire_set_count(struct wire_buf *b, int section, uint16_t n);	/* 0 qd .. 3 ar */
uint16_t wire_get_count(const struct wire_buf *b, int section);
void wire_set_flags(struct wire_buf *b, uint16_t set, uint16_t clear);
void wire_set_rcode(struct wire_buf *b, unsigned rcode);	/* low 4 bits */

static inline uint16_t
wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
