/*
 * test_net_udp.c -- the UDP send loop: one answer the kernel refuses
 * (issue 13, "one failed sendmmsg drops the rest of the batch") must not
 * cost the answers queued behind it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dnsd/server/net_int.h"

struct fixture {
	struct udp_reader r;
	int rx;				/* where the good answers go */
	struct sockaddr_in to;
	uint8_t bytes[NET_BATCH];	/* answer i is one byte, i */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(f->to);

	if (f == NULL || (f->r.batch = calloc(1, sizeof(*f->r.batch))) == NULL)
		return -1;
	net_udp_batch_init(f->r.batch);
	f->r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	f->rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (f->r.fd < 0 || f->rx < 0 || bind(f->r.fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    bind(f->rx, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    getsockname(f->rx, (struct sockaddr *)&f->to, &len) < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close(f->r.fd);
	close(f->rx);
	free(f->r.batch);
	free(f);
	return 0;
}

/* Answer i of the batch: one byte, i, to the receiver; bad ones carry an
 * address length the kernel refuses (EINVAL) for that message alone. */
static void
queue(struct fixture *f, int i, int bad)
{
	struct udp_batch *b = f->r.batch;

	f->bytes[i] = (uint8_t)i;
	b->out_iov[i].iov_base = &f->bytes[i];
	b->out_iov[i].iov_len = 1;
	b->out_msgs[i].msg_hdr.msg_name = &f->to;
	b->out_msgs[i].msg_hdr.msg_namelen = bad ? 3 : sizeof(f->to);
}

/* The bytes the receiver got, in order, as a string of digits. */
static void
received(struct fixture *f, char *out, size_t cap)
{
	uint8_t byte;
	size_t n = 0;

	while (n + 1 < cap && recv(f->rx, &byte, 1, 0) == 1)
		out[n++] = (char)('0' + byte);
	out[n] = '\0';
}

static void
test_send_error_skips_one_datagram_only(void **state)
{
	struct fixture *f = *state;
	char got[64];

	/* the second of four fails: sendmmsg sends the first, then fails on
	 * it when called again for the rest */
	for (int i = 0; i < 4; i++)
		queue(f, i, i == 1);
	f->r.send_errors = 0;
	net_udp_send_batch(&f->r, 4);
	received(f, got, sizeof(got));
	assert_string_equal(got, "023");
	assert_int_equal(f->r.send_errors, 1);
}

static void
test_first_and_last_fail(void **state)
{
	struct fixture *f = *state;
	char got[64];

	for (int i = 0; i < 6; i++)
		queue(f, i, i == 0 || i == 5);
	f->r.send_errors = 0;
	net_udp_send_batch(&f->r, 6);
	received(f, got, sizeof(got));
	assert_string_equal(got, "1234");
	assert_int_equal(f->r.send_errors, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_error_skips_one_datagram_only),
		cmocka_unit_test(test_first_and_last_fail),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
