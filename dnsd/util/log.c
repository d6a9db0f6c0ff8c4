/*
 * log.c -- logfmt logging.  One write per line so lines from threads do
 * not interleave.  Threads that answer queries log through a buffer of
 * their own, emptied by a writer thread: a slow log (a journald pipe that
 * is not read) then costs dropped lines, never a stalled answer.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"

static enum log_level g_level = LOG_LVL_INFO;
static int g_syslog;

static const char *const level_names[] = { "debug", "info", "warning", "error" };
static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

/* A thread's buffer: a byte ring of records (2-byte length, level, the
 * line with its newline), one producer (the thread), one consumer (the
 * writer).  256 KiB holds about 1,800 query lines: some 20 ms of one
 * thread's queries at 100,000 a second, while the writer wakes every
 * LOG_IDLE_NS when idle and loops while there is work. */
#define LOG_RING_SIZE (256 * 1024)
#define LOG_REC_HDR 3
/* The writer writes at most PIPE_BUF bytes of whole lines at a time: a
 * pipe takes that atomically, so lines written directly by other threads
 * never land inside one of them. */
#define LOG_CHUNK 4096
#define LOG_IDLE_NS (10 * 1000 * 1000)
/* How long the writer waits for the log to take a chunk before it looks
 * again whether it should stop. */
#define LOG_POLL_MS 100
/* At stop, how long the buffers may take to drain. */
#define LOG_STOP_NS 1000000000LL

struct log_ring {
	_Alignas(64) _Atomic uint64_t head;	/* written by the producer */
	_Alignas(64) _Atomic uint64_t tail;	/* written by the writer */
	uint64_t dropped;			/* the producer's: buffer full */
	uint8_t *buf;
	struct log_ring *next;
};

static _Thread_local struct log_ring *t_ring;
static struct log_ring *_Atomic g_rings;	/* pushed at the head, freed at stop */
static pthread_t g_writer;
static atomic_int g_running, g_stop;
static _Atomic int64_t g_stop_at;		/* monotonic ns: stop draining then */
static _Atomic uint64_t g_write_dropped;	/* the writer's: the log refused them */

static void
ring_copy_in(struct log_ring *r, uint64_t pos, const void *src, size_t n)
{
	size_t at = (size_t)(pos % LOG_RING_SIZE), first = LOG_RING_SIZE - at;

	if (first > n)
		first = n;
	memcpy(r->buf + at, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void
ring_copy_out(const struct log_ring *r, uint64_t pos, void *dst, size_t n)
{
	size_t at = (size_t)(pos % LOG_RING_SIZE), first = LOG_RING_SIZE - at;

	if (first > n)
		first = n;
	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

/* Producer side: never blocks, never allocates. */
static void
ring_put(struct log_ring *r, enum log_level lvl, const char *line, size_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint8_t hdr[LOG_REC_HDR] = { (uint8_t)(n >> 8), (uint8_t)n, (uint8_t)lvl };

	if (LOG_RING_SIZE - (head - tail) < LOG_REC_HDR + n) {
		METRICS_INC(r->dropped);
		return;
	}
	ring_copy_in(r, head, hdr, LOG_REC_HDR);
	ring_copy_in(r, head + LOG_REC_HDR, line, n);
	atomic_store_explicit(&r->head, head + LOG_REC_HDR + n, memory_order_release);
}

void
log_setup(const char *level, int use_syslog)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(level, level_names[i]) == 0)
			g_level = (enum log_level)i;
	if (use_syslog && !g_syslog)
		openlog("dnsd", LOG_PID, LOG_DAEMON);
	g_syslog = use_syslog;
}

void
log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (lvl < g_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s event=%s ", ts,
		     now.tv_nsec / 1000000, level_names[lvl], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (t_ring == NULL && g_syslog) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	/* every line ends with a newline, a cut one too */
	n = (int)strlen(line);
	if ((size_t)n < sizeof(line) - 1)
		n++;
	line[n - 1] = '\n';
	if (t_ring != NULL) {
		ring_put(t_ring, lvl, line, (size_t)n);
		return;
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* True once log_async_stop() has asked and its time is up. */
static int
stop_due(void)
{
	return atomic_load(&g_stop) && mono_ns() >= atomic_load(&g_stop_at);
}

/* Writes one chunk of whole lines to stderr, waiting while the log takes
 * nothing (until a stop is due).  The lines are lost when the log
 * refuses them or the time is up. */
static void
emit(const char *chunk, size_t len, unsigned lines)
{
	struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };

	for (;;) {
		int due = stop_due();	/* then one last look, no wait */
		int rc = poll(&p, 1, due ? 0 : LOG_POLL_MS);
		if (rc > 0 && (p.revents & POLLOUT)) {
			if (write(STDERR_FILENO, chunk, len) < 0 && errno == EINTR)
				continue;
			return;	/* short writes and errors: nothing better to do */
		}
		if (due || (rc != 0 && !(rc < 0 && errno == EINTR)))
			break;	/* time is up; POLLERR, POLLHUP, a bad descriptor */
	}
	atomic_fetch_add_explicit(&g_write_dropped, lines, memory_order_relaxed);
}

/* Takes one chunk of lines out of r and writes it.  Bytes moved. */
static size_t
drain(struct log_ring *r)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed), start = tail;
	char chunk[LOG_CHUNK];
	size_t len = 0;
	unsigned lines = 0;

	while (tail < head) {
		uint8_t hdr[LOG_REC_HDR];
		size_t n;

		ring_copy_out(r, tail, hdr, LOG_REC_HDR);
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (g_syslog) {
			ring_copy_out(r, tail + LOG_REC_HDR, chunk, n);
			tail += LOG_REC_HDR + n;
			/* syslog() may block too; only this thread waits for it */
			syslog(prio[hdr[2] & 3], "%.*s", (int)n - 1, chunk);
			break;
		}
		if (len + n > sizeof(chunk))
			break;
		ring_copy_out(r, tail + LOG_REC_HDR, chunk + len, n);
		len += n;
		lines++;
		tail += LOG_REC_HDR + n;
	}
	/* the copy is taken: the producer may reuse the room at once */
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	if (len > 0)
		emit(chunk, len, lines);
	return (size_t)(tail - start);
}

static void *
writer_main(void *arg)
{
	struct timespec idle = { 0, LOG_IDLE_NS };

	for (;;) {
		int stopping = atomic_load(&g_stop);	/* before the pass: it sees every line */
		size_t moved = 0;

		for (struct log_ring *r = atomic_load(&g_rings); r != NULL; r = r->next)
			moved += drain(r);
		if (stopping && (moved == 0 || stop_due()))
			break;
		if (moved == 0)
			nanosleep(&idle, NULL);
	}
	return NULL;
}

int
log_async_start(void)
{
	if (atomic_load(&g_running))
		return 0;
	if (pthread_create(&g_writer, NULL, writer_main, NULL) != 0)
		return -EAGAIN;
	atomic_store(&g_running, 1);
	return 0;
}

int
log_thread_buffer(void)
{
	struct log_ring *r;

	if (!atomic_load(&g_running))
		return -EINVAL;
	if (t_ring != NULL)
		return 0;
	if ((r = aligned_alloc(64, sizeof(*r))) == NULL)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	if ((r->buf = malloc(LOG_RING_SIZE)) == NULL) {
		free(r);
		return -ENOMEM;
	}
	r->next = atomic_load(&g_rings);
	while (!atomic_compare_exchange_weak(&g_rings, &r->next, r))
		;
	t_ring = r;
	return 0;
}

/* Lines still in r. */
static uint64_t
ring_lines(const struct log_ring *r)
{
	uint64_t head = atomic_load(&r->head), n = 0;

	for (uint64_t pos = atomic_load(&r->tail); pos < head; n++) {
		uint8_t hdr[LOG_REC_HDR];
		ring_copy_out(r, pos, hdr, LOG_REC_HDR);
		pos += LOG_REC_HDR + ((size_t)hdr[0] << 8 | hdr[1]);
	}
	return n;
}

void
log_async_stop(void)
{
	struct log_ring *r, *next;
	struct timespec limit;
	int64_t at;

	if (!atomic_load(&g_running))
		return;
	at = mono_ns() + LOG_STOP_NS;
	atomic_store(&g_stop_at, at);
	atomic_store(&g_stop, 1);
	/* A writer stuck in syslog() (which may block as well) is left
	 * behind, its buffers with it: the process is about to exit. */
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += LOG_STOP_NS / 1000000000LL + 1;
	if (pthread_timedjoin_np(g_writer, NULL, &limit) != 0) {
		pthread_detach(g_writer);
		return;
	}
	atomic_store(&g_running, 0);
	atomic_store(&g_stop, 0);
	/* what the writer could not write in time is dropped */
	for (r = atomic_exchange(&g_rings, NULL); r != NULL; r = next) {
		next = r->next;
		atomic_fetch_add(&g_write_dropped, r->dropped + ring_lines(r));
		free(r->buf);
		free(r);
	}
}

uint64_t
log_dropped(void)
{
	uint64_t n = atomic_load_explicit(&g_write_dropped, memory_order_relaxed);

	for (struct log_ring *r = atomic_load(&g_rings); r != NULL; r = r->next)
		n += METRICS_GET(r->dropped);
	return n;
}

void
log_render_metrics(FILE *out, void *arg)
{
	metrics_head(out, "dnsd_log_dropped_total", "counter",
		     "Log lines (the query log) dropped because the log did not keep up.");
	fprintf(out, "dnsd_log_dropped_total %llu\n", (unsigned long long)log_dropped());
}
