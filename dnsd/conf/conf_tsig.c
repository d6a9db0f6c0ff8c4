/*
 * conf_tsig.c -- the "tsig" section of the server config: shared secrets
 * for TSIG (RFC 8945), named by domain names.  Load time only.  Secrets
 * are decoded here and never written to a message or the log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsd/conf/conf_int.h"
#include "dnsd/util/log.h"

/* The algorithms we accept, by the names RFC 8945 section 6 gives them. */
static const struct tsig_alg_def {
	const char *name;	/* canonical presentation */
	int alg;
} algs[] = {
	{ "hmac-sha256.", CONF_TSIG_HMAC_SHA256 },
	{ "hmac-sha384.", CONF_TSIG_HMAC_SHA384 },
	{ "hmac-sha512.", CONF_TSIG_HMAC_SHA512 },
	{ "hmac-sha1.", CONF_TSIG_HMAC_SHA1 },
};

/* One label character or escape (\X, \DDD) at *s; advances *s.  The
 * byte, or -1 for a bad escape. */
static int
name_char(const char **s)
{
	const char *p = *s;
	int v;

	if (*p != '\\') {
		*s = p + 1;
		return (unsigned char)*p;
	}
	if (p[1] >= '0' && p[1] <= '9') {
		if (!(p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9'))
			return -1;
		v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		*s = p + 4;
		return v <= 255 ? v : -1;
	}
	if (p[1] == '\0')
		return -1;
	*s = p + 2;
	return (unsigned char)p[1];
}

/* A presentation name ("xfr.example" or "xfr.example.") in lowercase
 * wire form into out (255 bytes).  Its length, or -1 when it is empty, has
 * an empty or over-long label, or is longer than 255 bytes. */
static int
name_to_wire(const char *text, uint8_t *out)
{
	const char *s = text;
	size_t len = 0, lab = 0;	/* lab: where the current label's length byte is */

	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	out[0] = 0;
	while (*s != '\0') {
		if (*s == '.') {
			if (len == lab)		/* empty label */
				return -1;
			s++;
			lab = ++len;
			if (lab >= 255)
				return -1;
			out[lab] = 0;
			continue;
		}
		int c = name_char(&s);
		if (c < 0 || len - lab >= 63 || len + 2 >= 255)
			return -1;
		out[++len] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		out[lab]++;
	}
	if (len == lab && len == 0)
		return -1;	/* "" */
	if (len != lab) {	/* no trailing dot: close the last label */
		lab = ++len;
		if (lab >= 255)
			return -1;
	}
	out[lab] = 0;
	return (int)lab + 1;
}

static int
b64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Standard base64 (RFC 4648 section 4; "=" padding optional but, when
 * present, only at the end and to a multiple of four) into out.  The
 * decoded length, -EINVAL for bad text, -ENOSPC when it exceeds cap. */
static int
b64_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n = strlen(in), pad = 0, len = 0;
	unsigned acc = 0, bits = 0;

	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -ENOSPC;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)len;
}

static const struct tsig_alg_def *
alg_find(const char *text)
{
	size_t n = strlen(text);

	if (n > 0 && text[n - 1] == '.')
		n--;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) - 1 == n && strncasecmp(algs[i].name, text, n) == 0)
			return &algs[i];
	return NULL;
}

static void
load_alg(struct conf_tsig_key *k, const struct jdoc *d, struct dnsd_err *err, const json_t *o)
{
	json_t *v = jdoc_get(d, err, o, "algorithm", JSON_STRING, 1);
	const struct tsig_alg_def *a;

	if (v == NULL)
		return;
	if ((a = alg_find(json_string_value(v))) == NULL) {
		jdoc_err(d, err, v, "TSIG algorithm must be hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1");
		return;
	}
	k->alg = a->alg;
	k->alg_name = a->name;
	k->alg_wire_len = (size_t)name_to_wire(a->name, k->alg_wire);
}

static void
load_secret(struct conf_tsig_key *k, const struct jdoc *d, struct dnsd_err *err, const json_t *o)
{
	json_t *v = jdoc_get(d, err, o, "secret", JSON_STRING, 1);
	int n;

	if (v == NULL)
		return;
	/* the messages never quote the secret: they may reach a shared log */
	n = b64_decode(json_string_value(v), k->secret, sizeof(k->secret));
	if (n == -ENOSPC)
		jdoc_err(d, err, v, "TSIG secret is longer than %d bytes", CONF_TSIG_SECRET_MAX);
	else if (n < 0)
		jdoc_err(d, err, v, "TSIG secret is not base64");
	else if (n == 0)
		jdoc_err(d, err, v, "TSIG secret is empty");
	else
		k->secret_len = (size_t)n;
}

static void
load_key(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const char *name,
	 const json_t *o)
{
	static const char *const keys[] = { "algorithm", "secret", NULL };
	struct conf_tsig_key *k = &c->tsig[c->ntsig];
	int n;

	jdoc_check_keys(d, err, o, "a TSIG key", keys);
	memset(k, 0, sizeof(*k));
	if ((n = name_to_wire(name, k->wire)) < 0) {
		jdoc_key_err(d, err, o, "TSIG key name \"%s\" is not a domain name", name);
		return;
	}
	k->wire_len = (size_t)n;
	if (conf_tsig_find(c, k->wire) != NULL) {
		jdoc_key_err(d, err, o, "TSIG key \"%s\" is defined twice", name);
		return;
	}
	n = snprintf(k->name, sizeof(k->name), "%s", name);
	for (char *p = k->name; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (n > 0 && (size_t)n + 1 < sizeof(k->name) && k->name[n - 1] != '.')
		k->name[n] = '.';
	load_alg(k, d, err, o);
	load_secret(k, d, err, o);
	c->ntsig++;
}

static void
load_keys(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *obj)
{
	const char *name;
	json_t *v;

	if ((c->tsig = calloc(json_object_size(obj) + 1, sizeof(*c->tsig))) == NULL) {
		jdoc_err(d, err, obj, "out of memory");
		return;
	}
	json_object_foreach((json_t *)obj, name, v) {
		if (strcmp(name, "$schema") == 0)	/* a key file may name its schema too */
			continue;
		if (jdoc_get(d, err, obj, name, JSON_OBJECT, 0) != NULL)
			load_key(c, d, err, name, v);
	}
}

/* The key file form: secrets kept out of the config (and out of git) in a
 * file only dnsd's user should read, so say so when others can. */
static void
load_key_file(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *v)
{
	const char *rel = json_string_value(v);
	char *path = NULL;
	struct jdoc kd;
	struct stat st;

	if (*rel == '/' || c->dir == NULL)
		path = strdup(rel);
	else if (asprintf(&path, "%s/%s", c->dir, rel) < 0)
		path = NULL;
	if (path == NULL) {
		jdoc_err(d, err, v, "out of memory");
		return;
	}
	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		jdoc_err(d, err, v, "cannot read TSIG key file %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		log_msg(LOG_LVL_WARNING, "tsig_key_file",
			"file=\"%s\" mode=%04o msg=\"group or others may read the TSIG secrets; chmod 600 it\"",
			path, (unsigned)(st.st_mode & 07777));
	if (jdoc_load(&kd, path, err) == 0) {
		if (json_is_object(kd.root))
			load_keys(c, &kd, err, kd.root);
		else
			jdoc_err(&kd, err, kd.root, "a TSIG key file must hold a JSON object of keys");
	}
	jdoc_fini(&kd);
	free(path);
}

void
conf_tsig_load(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *v)
{
	if (json_is_object(v))
		load_keys(c, d, err, v);
	else if (json_is_string(v))
		load_key_file(c, d, err, v);
	else
		jdoc_err(d, err, v, "\"tsig\" must be an object of keys or the name of a JSON file holding one");
}

/* ASCII case-insensitive equality of two uncompressed wire names; label
 * lengths are below 64, so folding them is harmless. */
static int
wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b)
{
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;	/* before b could end: its length bytes match a's so far */
	}
	return 1;
}

const struct conf_tsig_key *
conf_tsig_find(const struct dnsd_conf *c, const uint8_t *wire_name)
{
	for (size_t i = 0; i < c->ntsig; i++)
		if (wire_name_equal(c->tsig[i].wire, c->tsig[i].wire_len, wire_name))
			return &c->tsig[i];
	return NULL;
}
