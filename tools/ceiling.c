/*
 * ceiling.c -- the kernel's UDP ceiling for tools/bench.sh: one thread
 * reads a batch with recvmmsg, answers every query with one fixed reply
 * (the query's ID and question copied in, an OPT record when the query
 * has one) and sends the batch with sendmmsg.  No DNS server can cost less per query on this machine.
 *
 * Usage: dnsd-ceiling PORT [ADDR]   (binds ADDR, default 127.0.0.1, an
 * IPv4 address: tools/bench.sh gives the address of its own network
 * namespace's veth; runs until killed)
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
/* header + question (at most 255 + 4) + one A record (16) + OPT (11) */
#define RMAX (12 + 259 + 16 + 11)

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
/* The OPT record every EDNS query gets back (a real server must echo one,
 * so the ceiling's answers are the size of a real server's): root, OPT,
 * UDP payload 1232, no extended flags, no options. */
static const unsigned char rr_opt[11] = {
	0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
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
	size_t len = p;
	if (q[p - 4] != 0 || q[p - 3] != 1)
		r[7] = 0;	/* not an A query: an empty NOERROR */
	else {
		memcpy(r + len, rr_a, sizeof(rr_a));
		len += sizeof(rr_a);
	}
	/* an OPT record right after the question: echo one */
	if (q[11] == 1 && q[10] == 0 && p + 11 <= n && q[p] == 0 && q[p + 1] == 0 && q[p + 2] == 41) {
		memcpy(r + len, rr_opt, sizeof(rr_opt));
		r[11] = 1;
		len += sizeof(rr_opt);
	}
	return len;
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

	if (argc < 2 || argc > 3 || (sin.sin_port = htons((unsigned short)atoi(argv[1]))) == 0 ||
	    inet_pton(AF_INET, argc == 3 ? argv[2] : "127.0.0.1", &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: dnsd-ceiling PORT [IPV4-ADDR]\n");
		return 2;
	}
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
