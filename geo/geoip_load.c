/*
 * geoip_load.c -- open and verify a MaxMind DB at load time (reload or
 * startup thread; allocates), decoding every data record into the table
 * workers locate clients with.  A database that would fail or answer
 * garbage on a worker is refused here, so the query path never meets one.
 * What is opened is a private in-memory copy of the file, flattened into
 * the address table (flat.c) and closed again, so nothing an operator
 * does to the file afterwards reaches a worker.  Never called from a
 * worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geo/geo_int.h"

struct verify {
	const MMDB_s *db;
	const char *path;	/* the file named in the config, for messages */
	struct geo_georecs *recs;	/* filled with each distinct record */
	uint8_t *seen;		/* one bit per data-section byte offset */
	size_t usable;		/* records with a country, continent or location */
	char *err;
	size_t errlen;
};

static int
fail(struct verify *v, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(v->err, v->errlen, "%s: ", v->path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->errlen)
		vsnprintf(v->err + n, v->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Looks up map/key; 0 with has_data clear when it is absent.  libmaxminddb
 * reports a missing key and a non-map on the way alike (path does not
 * match), and both mean "the record does not say".  MMDB_aget_value, as
 * MMDB_get_value callocs a copy of its variadic path on every call (load
 * time only now, but four per record of a large database add up). */
static int
rec_get(MMDB_entry_s *e, const char *map, const char *key, MMDB_entry_data_s *d)
{
	const char *const path[] = {map, key, NULL};
	int rc = MMDB_aget_value(e, d, path);

	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		d->has_data = false;
		return 0;
	}
	return rc == MMDB_SUCCESS ? 0 : -EINVAL;
}

/* A two-letter code at map/key, or "" when absent.  -EINVAL when the
 * field exists with another shape, which only verification cares about. */
static int
rec_code(MMDB_entry_s *e, const char *map, const char *key, char out[3])
{
	MMDB_entry_data_s d;

	out[0] = '\0';
	if (rec_get(e, map, key, &d) != 0)
		return -EINVAL;
	if (!d.has_data)
		return 0;
	if (d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return -EINVAL;
	memcpy(out, d.utf8_string, 2);
	out[2] = '\0';
	return 0;
}

static int
rec_double(MMDB_entry_s *e, const char *key, double *v, int *has)
{
	MMDB_entry_data_s d;

	*has = 0;
	if (rec_get(e, "location", key, &d) != 0)
		return -EINVAL;
	if (!d.has_data)
		return 0;
	if (d.type == MMDB_DATA_TYPE_DOUBLE)
		*v = d.double_value;
	else if (d.type == MMDB_DATA_TYPE_FLOAT)
		*v = d.float_value;
	else
		return -EINVAL;
	*has = 1;
	return 0;
}

/* Reads country.iso_code, continent.code and location.{latitude,longitude}.
 * Fields that are absent stay empty; 0, or -EINVAL when a field is present
 * but malformed, which refuses the database. */
static int
rec_read(MMDB_entry_s *e, struct geo_rec *r)
{
	int has_lat, has_lon, rc = 0;

	memset(r, 0, sizeof(*r));
	rc |= rec_code(e, "country", "iso_code", r->country);
	rc |= rec_code(e, "continent", "code", r->continent);
	rc |= rec_double(e, "latitude", &r->lat, &has_lat);
	rc |= rec_double(e, "longitude", &r->lon, &has_lon);
	if (rc != 0 || (has_lat && !(r->lat >= -90 && r->lat <= 90)) ||
	    (has_lon && !(r->lon >= -180 && r->lon <= 180))) {
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	r->has_coords = has_lat && has_lon;
	return 0;
}

static int
verify_metadata(struct verify *v)
{
	const MMDB_metadata_s *md = &v->db->metadata;

	if (md->binary_format_major_version != 2)
		return fail(v, -EINVAL, "unsupported format version %u", md->binary_format_major_version);
	if (md->ip_version != 4 && md->ip_version != 6)
		return fail(v, -EINVAL, "bad ip_version %u in metadata", md->ip_version);
	if (md->record_size != 24 && md->record_size != 28 && md->record_size != 32)
		return fail(v, -EINVAL, "bad record_size %u in metadata", md->record_size);
	if (md->node_count == 0 || md->database_type == NULL)
		return fail(v, -EINVAL, "metadata lacks node_count or database_type");
	return 0;
}

/* Decodes a data record in full once (MMDB_get_entry_data_list checks
 * every type and size in it), then reads the fields workers need into the
 * record table. */
static int
verify_record(struct verify *v, uint32_t off)
{
	MMDB_entry_s e = {.mmdb = v->db, .offset = off};
	MMDB_entry_data_list_s *list = NULL;
	struct geo_rec rec;
	int rc;

	if (off >= v->db->data_section_size)
		return fail(v, -EINVAL, "search tree points past the data section");
	if (v->seen[off / 8] & (1u << (off % 8)))
		return 0;
	v->seen[off / 8] |= (uint8_t)(1u << (off % 8));
	rc = MMDB_get_entry_data_list(&e, &list);
	MMDB_free_entry_data_list(list);
	if (rc != MMDB_SUCCESS)
		return fail(v, -EINVAL, "corrupt data record at offset %u: %s", off, MMDB_strerror(rc));
	if (rec_read(&e, &rec) != 0)
		return fail(v, -EINVAL, "data record at offset %u: country, continent or location malformed", off);
	if (rec.country[0] != '\0' || rec.continent[0] != '\0' || rec.has_coords)
		v->usable++;
	if (geo_georecs_add(v->recs, off, &rec) != 0)
		return fail(v, -ENOMEM, "out of memory decoding the database");
	return 0;
}

static int
verify_record_ptr(struct verify *v, uint8_t type, const MMDB_entry_s *e)
{
	if (type == MMDB_RECORD_TYPE_INVALID)
		return fail(v, -EINVAL, "search tree record points outside the file");
	if (type != MMDB_RECORD_TYPE_DATA)
		return 0;
	return verify_record(v, e->offset);
}

/* Every node of the tree, in index order, reachable or not
 * (docs/routing.md §3). */
static int
verify_tree(struct verify *v)
{
	MMDB_search_node_s node;
	int rc;

	for (uint32_t i = 0; i < v->db->metadata.node_count; i++) {
		if ((rc = MMDB_read_node(v->db, i, &node)) != MMDB_SUCCESS)
			return fail(v, -EINVAL, "search tree node %u: %s", i, MMDB_strerror(rc));
		if ((rc = verify_record_ptr(v, node.left_record_type, &node.left_record_entry)) != 0)
			return rc;
		if ((rc = verify_record_ptr(v, node.right_record_type, &node.right_record_entry)) != 0)
			return rc;
	}
	if (v->usable == 0)
		return fail(v, -EINVAL, "no record has a country, continent or location "
				"(not a City or Country database)");
	return 0;
}

/* Once per load, on the loading thread: one pass over the nodes, one
 * decode per distinct record, a bitmap of data_section_size / 8 bytes
 * while it runs (figures: docs/routing.md §3). */
static int
geoip_verify(const MMDB_s *db, const char *path, struct geo_georecs *recs, char *err, size_t errlen)
{
	struct verify v = {.db = db, .path = path, .recs = recs, .err = err, .errlen = errlen};
	int rc;

	if ((rc = verify_metadata(&v)) != 0)
		return rc;
	if ((v.seen = calloc(db->data_section_size / 8 + 1, 1)) == NULL)
		return fail(&v, -ENOMEM, "out of memory verifying the database");
	rc = verify_tree(&v);
	free(v.seen);
	if (rc == 0 && geo_georecs_index(recs) != 0)
		rc = fail(&v, -ENOMEM, "out of memory indexing the database");
	return rc;
}

static int
open_errno(int mmdb_rc)
{
	switch (mmdb_rc) {
	case MMDB_FILE_OPEN_ERROR:
		return -ENOENT;
	case MMDB_IO_ERROR:
		return -EIO;
	case MMDB_OUT_OF_MEMORY_ERROR:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

/* Copy buffer: large enough that a big database takes few syscalls. */
#define GEOIP_COPY_CHUNK (256 * 1024)

static int
copy_fd(int in, int out, off_t *copied)
{
	char *buf = malloc(GEOIP_COPY_CHUNK);
	int rc = 0;

	*copied = 0;
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(in, buf, GEOIP_COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				rc = -errno;
				goto out;
			}
			w += k;
		}
		*copied += n;
	}
out:
	free(buf);
	return rc;
}

/* libmaxminddb (1.7 in Debian 12) can only map a file by name, and a
 * mapped file that is truncated or rewritten in place (`cp new.mmdb
 * city.mmdb`) kills the next lookup with SIGBUS or feeds it a mixture of
 * two databases.  So the file is read (read(2): a file shrinking under us
 * is a short read, never a signal) into an anonymous memory file, sealed
 * read-only, and libmaxminddb maps that through /proc/self/fd.  Returns
 * the memfd (the caller closes it once MMDB_open() has mapped it), or
 * -errno with the reason in err. */
static int
geoip_private_copy(const char *path, char *proc_path, size_t cap, char *err, size_t errlen)
{
	struct stat st;
	off_t copied;
	int in, mfd = -1, rc;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open GeoIP database: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(in, &st) < 0 || (mfd = memfd_create("dnsd-geoip", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot copy GeoIP database: %s", path, strerror(-rc));
		goto fail;
	}
	if ((rc = copy_fd(in, mfd, &copied)) < 0) {
		snprintf(err, errlen, "%s: cannot read GeoIP database: %s", path, strerror(-rc));
		goto fail;
	}
	if (copied != st.st_size) {
		rc = -EAGAIN;
		snprintf(err, errlen, "%s: GeoIP database changed while being read (%lld bytes, then %lld): "
			 "write the new file aside and rename it over the old one",
			 path, (long long)st.st_size, (long long)copied);
		goto fail;
	}
	/* nothing, not even a bug of ours, can change the copy now */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot seal the copy of the GeoIP database: %s", path, strerror(-rc));
		goto fail;
	}
	close(in);
	snprintf(proc_path, cap, "/proc/self/fd/%d", mfd);
	return mfd;
fail:
	close(in);
	if (mfd >= 0)
		close(mfd);
	return rc;
}

int
geo_model_open_geoip(struct geo_model *m, const char *path, char *err, size_t errlen)
{
	MMDB_s db;
	struct geo_georecs recs = {0};
	struct geo_flat layer[2];
	char copy[64];
	int mfd = geoip_private_copy(path, copy, sizeof(copy), err, errlen), rc;

	if (mfd < 0)
		return mfd;
	rc = MMDB_open(copy, MMDB_MODE_MMAP, &db);
	close(mfd);	/* the mapping, if any, keeps the copy alive */
	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: cannot open GeoIP database: %s", path, MMDB_strerror(rc));
		return open_errno(rc);
	}
	if ((rc = geoip_verify(&db, path, &recs, err, errlen)) != 0) {
		geo_georecs_fini(&recs);
		MMDB_close(&db);
		return rc;
	}
	/* The tree becomes the address table (docs/routing.md §11); then
	 * the copy is unmapped: no query touches the file or libmaxminddb. */
	rc = geo_flat_build_geoip(layer, &db, &recs);
	MMDB_close(&db);
	if (rc != 0) {
		geo_georecs_fini(&recs);
		if (rc == -E2BIG)
			snprintf(err, errlen, "%s: search tree too large to flatten (a loop in the tree?) or too many records", path);
		else
			snprintf(err, errlen, "%s: %s flattening the database", path,
				 rc == -ENOMEM ? "out of memory" : "bad search tree");
		return rc == -E2BIG ? -EINVAL : rc;
	}
	geo_georecs_unindex(&recs);
	/* Only a verified database replaces the one the model had. */
	geo_georecs_fini(&m->recs);
	m->recs = recs;
	m->has_geoip = 1;
	if (geo_model_relocate(m, layer) != 0) {
		snprintf(err, errlen, "%s: out of memory joining the networks overrides", path);
		return -ENOMEM;
	}
	return 0;
}
