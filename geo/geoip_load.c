/*
 * geoip_load.c -- open and verify a MaxMind DB at load time (reload or
 * startup thread; allocates).  A database that would fail or answer
 * garbage on a worker is refused here, so the query path never meets one.
 * Never called from a worker.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* MaxMind DB: data pointers start 16 bytes past the end of the tree. */
#define GEOIP_DATA_SEPARATOR 16

struct verify {
	const MMDB_s *db;
	uint8_t *seen;		/* one bit per data-section byte offset */
	size_t usable;		/* records with a country, continent or location */
	char *err;
	size_t errlen;
};

static int
fail(struct verify *v, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(v->err, v->errlen, "%s: ", v->db->filename);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->errlen)
		vsnprintf(v->err + n, v->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
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
 * every type and size in it), then reads it the way workers will. */
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
	if (geo_geoip_record(&e, &rec) != 0)
		return fail(v, -EINVAL, "data record at offset %u: country, continent or location malformed", off);
	if (rec.country[0] != '\0' || rec.continent[0] != '\0' || rec.has_coords)
		v->usable++;
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

/* Every node of the tree, in index order: reachability does not matter,
 * libmaxminddb bounds a lookup by the address length, so a loop cannot
 * hang a worker, and a bad node anywhere means a bad file. */
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

/* Cost: one pass over node_count nodes plus one full decode per distinct
 * data record, and a bitmap of data_section_size / 8 bytes.  The test
 * databases take well under a millisecond; a full GeoLite2-City (some
 * 4 million nodes, ~50 MB of data) takes on the order of a second and
 * ~7 MB, once per load, on the loading thread. */
static int
geoip_verify(const MMDB_s *db, char *err, size_t errlen)
{
	struct verify v = {.db = db, .err = err, .errlen = errlen};
	int rc;

	if ((rc = verify_metadata(&v)) != 0)
		return rc;
	if ((v.seen = calloc(db->data_section_size / 8 + 1, 1)) == NULL)
		return fail(&v, -ENOMEM, "out of memory verifying the database");
	rc = verify_tree(&v);
	free(v.seen);
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

int
geo_model_open_geoip(struct geo_model *m, const char *path, char *err, size_t errlen)
{
	MMDB_s db;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);

	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: cannot open GeoIP database: %s", path, MMDB_strerror(rc));
		return open_errno(rc);
	}
	if ((rc = geoip_verify(&db, err, errlen)) != 0) {
		MMDB_close(&db);
		return rc;
	}
	/* Only a verified database replaces the one the model had. */
	geo_geoip_close(m);
	m->mmdb = db;
	m->has_geoip = 1;
	return 0;
}
