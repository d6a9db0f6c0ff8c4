/*
 * conf.h -- the server config (README, "Server config") as an immutable struct.  Loaded on
 * the main or control thread; once loaded nothing writes it, so any thread
 * may read it for as long as the snapshot holding it lives.
 */
#ifndef DNSD_CONF_H
#define DNSD_CONF_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsd/util/err.h"
#include "geo/geo.h"

#define CONF_MAX_LISTEN 16
#define CONF_MAX_ALLOW 64

struct conf_addr {
	char text[64];
	struct sockaddr_storage ss;
	socklen_t sslen;
};

struct conf_endpoint {
	int family;		/* 4 or 6 */
	uint8_t addr[16];
	char text[64];
};

struct conf_region {
	char name[GEO_NAME_MAX];
	int check;		/* index into checks, -1 for none */
	size_t nendpoints;
	struct conf_endpoint *endpoints;
};

enum conf_check_type { CONF_CHECK_TCP, CONF_CHECK_HTTP, CONF_CHECK_HTTPS };

struct conf_check {
	char name[64];
	enum conf_check_type type;
	int port, expect, rise, fall, verify;
	double interval, timeout;	/* seconds */
	char path[256], host[256];
};

/* TSIG keys (RFC 8945; README "Server config", "tsig").  HMAC-SHA256 is
 * the one RFC 8945 section 6 requires; SHA-1 is accepted because that
 * section still lists it, SHA-384 and SHA-512 because secondaries use them. */
enum conf_tsig_alg {
	CONF_TSIG_HMAC_SHA1 = 1,
	CONF_TSIG_HMAC_SHA256,
	CONF_TSIG_HMAC_SHA384,
	CONF_TSIG_HMAC_SHA512,
};

/* A secret longer than the hash's block (128 bytes for SHA-384/512) is
 * hashed down by HMAC anyway; 256 leaves room for generous generators. */
#define CONF_TSIG_SECRET_MAX 256
#define CONF_TSIG_ALG_WIRE_MAX 32	/* "\013hmac-sha256\0" and kin */

struct conf_tsig_key {
	char name[1024];		/* presentation, lowercase, absolute: "xfr.example." */
	uint8_t wire[255];		/* the same name in wire form, lowercase */
	size_t wire_len;
	int alg;			/* enum conf_tsig_alg */
	const char *alg_name;		/* canonical: "hmac-sha256." (static string) */
	uint8_t alg_wire[CONF_TSIG_ALG_WIRE_MAX];
	size_t alg_wire_len;
	uint8_t secret[CONF_TSIG_SECRET_MAX];	/* decoded; never logged */
	size_t secret_len;
};

/* "cluster" (docs/cluster.md): the etcd members to talk to, this node's
 * name, the key prefix all nodes share, the quorum rule and the lease. */
#define CONF_CLUSTER_MAX_ETCD 16
enum conf_quorum { CONF_QUORUM_MAJORITY, CONF_QUORUM_ANY, CONF_QUORUM_ALL };

struct conf_cluster {
	size_t netcd;
	struct { char host[256]; int port; char text[300]; } etcd[CONF_CLUSTER_MAX_ETCD];
	char node[64];			/* [A-Za-z0-9_.-]+ */
	char prefix[200];		/* ends with '/' */
	enum conf_quorum quorum;
	int lease;			/* seconds, 2..3600 */
};

struct dnsd_conf {
	char *file, *dir;
	size_t nlisten;
	struct conf_addr listen[CONF_MAX_LISTEN];
	int workers;
	size_t nzones;
	char **zones;			/* paths resolved against dir */
	char *geoip;			/* NULL: no GeoIP database */
	char identity[256];
	int hide_version;		/* version.bind, version.server: REFUSED */
	int hide_identity;		/* hostname.bind, id.server: REFUSED; no NSID */
	char control_listen[64], control_token[256];
	size_t nallow;
	struct geo_addr allow[CONF_MAX_ALLOW];
	char *state_file;
	struct { double max_age, ewma_weight; long max_entries; } latency;
	struct { unsigned responses_per_second, slip, ipv4_prefix, ipv6_prefix; } rrl;
	struct { unsigned udp_payload, tcp_clients, tcp_clients_per_address, tcp_idle; } limits;
	struct {
		double state_max_age;
		/* "source": where checks are sent from, at most one address
		 * per family (has_src4/has_src6); docs/cluster.md §2 */
		int has_src4, has_src6;
		uint8_t src4[4], src6[16];
	} health;
	struct conf_cluster *cluster;	/* NULL without "cluster" */
	struct { char level[16]; int queries, syslog; } log;
	char user[64];
	size_t nregions;		/* index i is geo region i */
	struct conf_region *regions;
	size_t nchecks;
	struct conf_check *checks;
	struct geo_model *geo;		/* regions, pins, networks, GeoIP */
	size_t ntsig;
	struct conf_tsig_key *tsig;	/* in config order; secrets wiped by conf_free */
};

/* Loads and validates a config file, opening its GeoIP database.  NULL
 * with every problem added to err as file:line:column: message. */
struct dnsd_conf *conf_load(const char *file, struct dnsd_err *err);
void conf_free(struct dnsd_conf *c);	/* accepts NULL */

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (/32, /128).
 * 0, or -EINVAL for bad syntax or bits set past the prefix. */
int conf_parse_cidr(const char *text, struct geo_addr *out);
/* "ADDR:PORT" or "[V6ADDR]:PORT" into a socket address. 0 or -EINVAL. */
int conf_parse_hostport(const char *text, struct conf_addr *out);
/* True when addr lies inside net. */
int conf_addr_in(const struct geo_addr *net, int family, const uint8_t *addr);

/* The TSIG key named wire_name (an uncompressed wire-form name, compared
 * without regard to ASCII case), or NULL.  Borrowed from c.  Any thread;
 * a linear walk, fine for the handful of keys a server has. */
const struct conf_tsig_key *conf_tsig_find(const struct dnsd_conf *c, const uint8_t *wire_name);

#endif
