/*
 * dnsd-import -- an RFC 1035 zone file or an octoDNS zone YAML file in,
 * dnsd zone JSON out (README, "Moving in").  The output is loaded with
 * dnsd's own zone loader before it is written, so what is written loads.
 * Wiring only: the work is in tools/import/.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsd/conf/conf.h"
#include "tools/import/import.h"

struct args {
	struct import_opts o;
	const char *input, *output, *format, *config;
	int check, quiet;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: dnsd-import [options] FILE\n"
		"  FILE is an RFC 1035 zone file or an octoDNS zone YAML file (*.yaml, *.yml)\n"
		"  -o, --output FILE      write the zone JSON there (default: standard output)\n"
		"      --check            convert and validate, print what would be written, write nothing\n"
		"      --origin NAME      the zone (zone file: default the SOA's owner; octoDNS:\n"
		"                         default the file name without .yaml, e.g. example.com.yaml)\n"
		"      --format zone|octodns   default: octodns for *.yaml and *.yml, else zone\n"
		"  -I, --include-dir DIR  where relative $INCLUDE paths start (default: FILE's folder)\n"
		"  -c, --config FILE      a dnsd server config: the output is checked against it, and\n"
		"                         octoDNS dynamic records map onto its regions\n"
		"      --schema URI       the \"$schema\" written (default: zone.schema.json)\n"
		"      --soa-mname NAME   octoDNS: the SOA's primary (default: the first apex NS)\n"
		"      --soa-rname NAME   octoDNS: the SOA's mailbox (default: hostmaster.ORIGIN)\n"
		"      --serial N         octoDNS: the SOA serial (default: 1)\n"
		"  -q, --quiet            no notes on standard error\n"
		"  -h, --help             this text\n"
		"Exit status: 0 converted, 1 the input has errors (all are printed), 2 usage.\n");
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_CHECK = 256, O_ORIGIN, O_FORMAT, O_SCHEMA, O_MNAME, O_RNAME, O_SERIAL };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "include-dir", required_argument, NULL, 'I' },
		{ "config", required_argument, NULL, 'c' },
		{ "schema", required_argument, NULL, O_SCHEMA },
		{ "soa-mname", required_argument, NULL, O_MNAME },
		{ "soa-rname", required_argument, NULL, O_RNAME },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:I:c:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->output = optarg; break;
		case O_CHECK: a->check = 1; break;
		case O_ORIGIN: a->o.origin = optarg; break;
		case O_FORMAT: a->format = optarg; break;
		case 'I': a->o.include_dir = optarg; break;
		case 'c': a->config = optarg; break;
		case O_SCHEMA: a->o.schema = optarg; break;
		case O_MNAME: a->o.soa_mname = optarg; break;
		case O_RNAME: a->o.soa_rname = optarg; break;
		case O_SERIAL:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v > 4294967295ul) {
				fprintf(stderr, "dnsd-import: --serial needs a number up to 4294967295\n");
				return -1;
			}
			a->o.serial = (uint32_t)v;
			break;
		case 'q': a->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	a->input = argv[optind];
	if (a->format == NULL) {
		size_t n = strlen(a->input);
		int yaml = (n > 5 && strcmp(a->input + n - 5, ".yaml") == 0) ||
			   (n > 4 && strcmp(a->input + n - 4, ".yml") == 0);
		a->format = yaml ? "octodns" : "zone";
	}
	if (strcmp(a->format, "zone") != 0 && strcmp(a->format, "octodns") != 0) {
		fprintf(stderr, "dnsd-import: --format is zone or octodns\n");
		return -1;
	}
	return 0;
}

/* octoDNS names a zone by its file: example.com.yaml is example.com. */
static char *
origin_from_file(const char *path)
{
	char *copy = strdup(path), *base, *dot, *o = NULL;

	if (copy == NULL)
		return NULL;
	base = basename(copy);
	if ((dot = strrchr(base, '.')) != NULL && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)) {
		*dot = '\0';
		if (*base != '\0' && asprintf(&o, "%s%s", base, base[strlen(base) - 1] == '.' ? "" : ".") < 0)
			o = NULL;
	}
	free(copy);
	return o;
}

static int
read_octodns(struct import *im, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (f == NULL) {
		dnsd_err_add(im->err, "%s: %s", path, strerror(errno));
		return -1;
	}
	FILE *m = open_memstream(&text, &len);
	char buf[65536];
	size_t n;
	while (m != NULL && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	if (m != NULL && !ferror(f) && fclose(m) == 0)
		rc = import_octodns(im, path, text, len);
	else
		dnsd_err_add(im->err, "%s: cannot read it", path);
	fclose(f);
	free(text);
	return rc;
}

/* Writes text to path through a temporary file beside it, so a reader
 * (or a dnsd reload) never sees half a zone. */
static int
write_file(const char *path, const char *text)
{
	char *tmp = NULL;
	FILE *f;
	int ok;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -1;
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "dnsd-import: %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	ok = fputs(text, f) >= 0;
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "dnsd-import: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *conf = NULL;
	struct import im;
	char *origin = NULL, *json = NULL;
	int rc = 1;

	if (err == NULL)
		return 1;
#ifdef __GLIBC__
	/* ldns takes and frees 64 KiB buffers for every record it parses;
	 * with glibc's default the heap's top is handed back and taken again
	 * each time (two system calls a record, a third of the run) */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		free(err);
		return 2;
	}
	dnsd_err_init(err);
	if (a.config != NULL && (conf = conf_load(a.config, err)) == NULL) {
		dnsd_err_print(err, stderr);
		free(err);
		return 1;
	}
	a.o.conf = conf;
	if (strcmp(a.format, "octodns") == 0 && a.o.origin == NULL) {
		if ((origin = origin_from_file(a.input)) == NULL) {
			fprintf(stderr, "dnsd-import: %s: name the zone with --origin (octoDNS takes it from "
					"a file name like example.com.yaml)\n", a.input);
			goto out;
		}
		a.o.origin = origin;
	}
	import_init(&im, &a.o, err);
	if (strcmp(a.format, "zone") == 0)
		import_zonefile(&im, a.input);
	else
		read_octodns(&im, a.input);
	if (err->count == 0)
		import_finish(&im);
	if (err->count == 0)
		json = import_json(&im);
	if (json != NULL && err->count == 0)
		import_validate(json, a.output ? a.output : "<output>", conf, err);
	if (!a.quiet)
		for (size_t i = 0; i < im.nnotes; i++)
			fprintf(stderr, "note: %s\n", im.notes[i]);
	if (err->count > 0) {
		dnsd_err_print(err, stderr);
	} else if (a.check || a.output == NULL) {
		fputs(json, stdout);
		rc = fflush(stdout) == 0 ? 0 : 1;
	} else {
		rc = write_file(a.output, json) == 0 ? 0 : 1;
	}
	if (!a.quiet && err->count == 0) {
		size_t owners = 0;
		for (size_t i = 0; i < im.nrr; i++)
			owners += i == 0 || ldns_dname_compare(ldns_rr_owner(im.rr[i].rr),
							       ldns_rr_owner(im.rr[i - 1].rr)) != 0;
		fprintf(stderr, "dnsd-import: %s: %zu records at %zu owners, %zu geo names, %zu notes%s%s\n",
			a.input, im.nrr + 1, owners, im.geo ? json_object_size(im.geo) : 0, im.nnotes,
			a.check ? (a.output ? "; --check: would write " : "; --check: nothing written") : "",
			a.check && a.output ? a.output : "");
	}
	import_fini(&im);
out:
	free(json);
	free(origin);
	conf_free(conf);
	free(err);
	return rc;
}
