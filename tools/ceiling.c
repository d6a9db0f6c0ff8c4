/*
 * ceiling.c -- the kernel's UDP ceiling for tools/bench.sh: one thread
 * reads a batch with recvmmsg, answers every query with one fixed reply
 * (the query's ID and question copied in) and sends the batch with
 * sendmmsg.  No DNS server can cost less per query on this machine.
 *
 * Usage: dnsd-ceiling PORT   (binds 127.0.0.1 only; runs until killed)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Same batch as dnsd's workers, so the comparison is syscall for syscall. */
#define BATCH 32
#define QMAX 512
/* header + question (at most 255 + 4) + one A record (16) */
#define RMAX (12 + 259 + 16)

static const unsigned char hdr[12] = {
	0, 0,		/* ID, copied from the query */
	0x84, 0x00,	/* QR AA, NOERROR */
	0, 1, 0, 1, 0, 0, 0, 0,	/* QD 1, AN 1 (0 unless the query asks for A) */
};
static const unsigned char rr_a[16] = {
	0xc0, 0x0c, 0, 1, 0, 1,	/* the question's name, A, IN */
	0, 0, 0x0e, 0x10, 0, 4,	/* TTL 3600, rdlength 4 */
	192, 0, 2, 1,
};

/* Build the reply to q (n bytes) into r; 0 drops malformed input. */
static size_t
reply(const unsigned char *q, size_t n, unsigned char *r)
{
	size_t p = 12;

	if (n < 12 || (q[2] & 0x80) != 0)
		return 0;
	while (p < n && q[p] != 0) {
		if (q[p] > 63)
			return 0;
		p += q[p] + 1u;
	}
	if (p + 5 > n)
		return 0;
	p += 5;			/* root label, QTYPE, QCLASS */
	memcpy(r, hdr, sizeof(hdr));
	memcpy(r, q, 2);
	memcpy(r + 12, q + 12, p - 12);
	if (q[p - 4] != 0 || q[p - 3] != 1) {
		r[7] = 0;	/* not an A query: an empty NOERROR */
		return p;
	}
	memcpy(r + p, rr_a, sizeof(rr_a));
	return p + sizeof(rr_a);
}

int
main(int argc, char **argv)
{
	static unsigned char in[BATCH][QMAX], out[BATCH][RMAX];
	static struct sockaddr_in peer[BATCH];
	static struct iovec iov[BATCH], oiov[BATCH];
	static struct mmsghdr msg[BATCH], omsg[BATCH];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;

	if (argc != 2 || (sin.sin_port = htons((unsigned short)atoi(argv[1]))) == 0) {
		fprintf(stderr, "usage: dnsd-ceiling PORT\n");
		return 2;
	}
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("dnsd-ceiling");
		return 1;
	}
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ in[i], QMAX };
			msg[i].msg_hdr = (struct msghdr){ .msg_name = &peer[i],
				.msg_namelen = sizeof(peer[i]), .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		int n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		int nout = 0;
		for (int i = 0; i < n; i++) {
			size_t len = reply(in[i], msg[i].msg_len, out[i]);
			if (len == 0)
				continue;
			oiov[nout] = (struct iovec){ out[i], len };
			omsg[nout].msg_hdr = (struct msghdr){ .msg_name = &peer[i],
				.msg_namelen = msg[i].msg_hdr.msg_namelen, .msg_iov = &oiov[nout],
				.msg_iovlen = 1 };
			nout++;
		}
		if (nout > 0)
			sendmmsg(fd, omsg, (unsigned)nout, 0);
	}
}
