// SPDX-License-Identifier: GPL-2.0
/*
 * zc_bench: CPU cost of TCP receive and send, zero-copy against copy.
 *
 * One connection; the server receives until EOF, the client sends a fixed
 * amount and closes.  Each side prints one summary line; the CPU cost is
 * measured from the outside (scripts/guest/bench.sh reads /proc/stat).
 *
 *   zc_bench -s -m MODE [-6|-4] [-p port] [-M mss] [-R msgsize] [-C cpu]
 *	      [-T cpu] [-g]
 *	MODE copy        recv() into a buffer (512 KB, or msgsize)
 *	     zc          TCP_ZEROCOPY_RECEIVE into an mmap()ed window of the
 *	                 socket (512 KB, or msgsize rounded up to pages),
 *	                 recv() for what the kernel says to skip
 *	     zc-copybuf  the same, with a copy buffer (copybuf_address/len)
 *	                 so that small pieces are copied by the same call
 *	     trunc       recv(MSG_TRUNC): consume without copying (the floor)
 *	prints: rx mode=MODE bytes=N mapped=N copied=N copybuf=N calls=N
 *	         (copied: every byte copied, recv() or copy buffer;
 *	         copybuf: the part copied through the copy buffer)
 *	-g       print "listening" once listening (for a harness)
 *	-T cpu   the receiving process also runs a thread on CPU cpu for the
 *	         whole transfer, SCHED_IDLE (it takes only what that CPU
 *	         would otherwise idle), that spins in user space for bursts
 *	         of SPIN_BURST loops with SPIN_NAP_US naps between them: the
 *	         process's mm is live on two CPUs, and a zap of the receive
 *	         window while the thread runs must shoot the other CPU's TLB
 *	         down.  (The naps let QEMU's -icount skip idle time, so that
 *	         the run does not take minutes.)
 *
 *   zc_bench -c HOST -m MODE [-6|-4] [-p port] [-M mss] [-S total]
 *	      [-R msgsize [-H hdrsize] | -W writesize] [-C cpu] [-g]
 *	MODE copy        send()
 *	     zc          send(MSG_ZEROCOPY), completions from the error queue
 *	                 when a send fails with ENOBUFS, and at the end
 *	     zceager     zc, and the error queue read (to EAGAIN) after every
 *	                 send: what zcring does with its ring
 *	     zcring      send(MSG_ZEROCOPY), completions from a ring of
 *	                 RING_ENTRIES in an anonymous page registered with
 *	                 SO_ZEROCOPY_RING (a kernel without the option fails
 *	                 the run), read after every send; from the error
 *	                 queue too when the ring overflowed, or on ENOBUFS
 *	     sendfile    sendfile() of a tmpfs file of one write size
 *	prints: tx mode=MODE bytes=N calls=N completions=N copied=N
 *	-g       once connected, print "ready" and wait for a byte (or EOF)
 *	         on stdin before sending: lets a harness start measuring
 *	         after process start-up and connection set-up
 *
 * Sizes take a K, M or G suffix (powers of 1024) and may be a sum
 * ("16K+64").  -R msgsize is the RPC workload: the client sends
 * back-to-back messages of exactly msgsize bytes (total rounded down to
 * whole messages) and the server consumes one message per iteration with
 * as few calls as it can, SO_RCVLOWAT set to the message size so that it
 * wakes up once per message.  -H hdrsize: each message starts with a
 * header of hdrsize bytes, sent by its own send(MSG_EOR) so that it ends
 * a segment and the body that follows starts on a segment (and so, with
 * packet split, a page) boundary: the receiver must copy the header and
 * can map the body, as with real RPC framing.
 *
 * "calls" counts the system calls made for receiving (poll, getsockopt,
 * recv) or sending (send, sendfile, poll and recvmsg for completions;
 * reading the ring takes none).
 * "copied" for tx counts send calls whose completion carried
 * SO_EE_CODE_ZEROCOPY_COPIED (the kernel copied after all).
 *
 * Before closing, the client shuts down its sending side and waits for the
 * server's EOF (and in zc and zcring modes for every completion): it
 * exits only once all its data was received, whatever the mode.  The ring
 * wakes nobody up, so zcring waits in polls of RING_POLL_MS and reads the
 * ring after each.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef __noreturn
#define __noreturn	__attribute__((noreturn))
#endif
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif
#ifndef SO_ZEROCOPY_RING
#define SO_ZEROCOPY_RING	81
#endif

/*
 * The UAPI of SO_ZEROCOPY_RING (struct zerocopy_ring_entry, zerocopy_ring
 * and zerocopy_ring_reg of the series' <linux/errqueue.h>), repeated under
 * names of this file: scripts/bench.sh builds it against the build host's
 * headers, which have no such structs.
 */
struct zcring_entry {
	__u32 lo;		/* ids lo..hi, inclusive (may wrap) */
	__u32 hi;
	__u32 code;		/* SO_EE_CODE_ZEROCOPY_COPIED or 0 */
	__u32 reserved;
};

struct zcring {
	__u32 head;		/* kernel: entries written, free-running */
	__u32 tail;		/* us: entries consumed, free-running */
	__u32 overflow;		/* kernel: ranges that overflowed */
	__u32 reserved;
	struct zcring_entry entries[];	/* [count & (entries - 1)] */
};

struct zcring_reg {
	__u64 addr;		/* 8-byte aligned, ring within one page */
	__u32 entries;		/* a power of two */
	__u32 flags;		/* 0 */
};

_Static_assert(sizeof(struct zcring_entry) == 16, "zerocopy_ring_entry");
_Static_assert(sizeof(struct zcring) == 16, "zerocopy_ring");
_Static_assert(sizeof(struct zcring_reg) == 16, "zerocopy_ring_reg");

#define DEFAULT_PORT	9000
#define DEFAULT_CHUNK	(512 * 1024)
#define DEFAULT_WRITE	(64 * 1024)
#define DEFAULT_TOTAL	(256ULL << 20)
/* How long the client waits for EOF and completions without progress */
#define DRAIN_TIMEOUT_MS	30000
/* zcring: entries of the ring (at offset 0 of a page of its own) */
#define RING_ENTRIES	128
/* zcring: the ring wakes nobody up; wait for it in polls this long */
#define RING_POLL_MS	1

_Static_assert(sizeof(struct zcring) +
	       RING_ENTRIES * sizeof(struct zcring_entry) <= 4096,
	       "the ring must fit in one (4K) page");
_Static_assert(!(RING_ENTRIES & (RING_ENTRIES - 1)),
	       "RING_ENTRIES must be a power of two");

enum mode { M_COPY, M_ZC, M_ZCEAGER, M_ZCRING, M_ZC_COPYBUF, M_TRUNC, M_SENDFILE,
	    M_NONE };

static const char * const mode_names[] = {
	[M_COPY] = "copy",
	[M_ZC] = "zc",
	[M_ZCEAGER] = "zceager",
	[M_ZCRING] = "zcring",
	[M_ZC_COPYBUF] = "zc-copybuf",
	[M_TRUNC] = "trunc",
	[M_SENDFILE] = "sendfile",
};

static int cfg_family = AF_UNSPEC;
static int cfg_port = DEFAULT_PORT;
static int cfg_mss;
static int cfg_cpu = -1;
static enum mode cfg_mode = M_NONE;
static const char *cfg_host;
static bool cfg_server;
static bool cfg_go;
static size_t cfg_msg;
static size_t cfg_hdr;
static int cfg_spin_cpu = -1;
static size_t cfg_write = DEFAULT_WRITE;
static unsigned long long cfg_total = DEFAULT_TOTAL;

static size_t page_size;

struct rx_stats {
	unsigned long long bytes;
	unsigned long long mapped;
	unsigned long long copied;
	unsigned long long copybuf;
	unsigned long long calls;
};

struct tx_stats {
	unsigned long long bytes;
	unsigned long long calls;
	unsigned long long ids;		/* zerocopy sends, i.e. ids used */
	unsigned long long completions;
	unsigned long long copied;
};

static void __noreturn __printf(1, 2) die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "zc_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fprintf(stderr, "\n");
	exit(1);
}

static void __noreturn usage(void)
{
	fprintf(stderr,
		"Usage: zc_bench -s -m copy|zc|zc-copybuf|trunc [-6|-4] [-p port] [-M mss]\n"
		"                [-R msgsize] [-C cpu] [-T cpu] [-g]\n"
		"       zc_bench -c HOST -m copy|zc|zceager|zcring|sendfile [-6|-4]\n"
		"                [-p port]\n"
		"                [-M mss] [-S totalsize]\n"
		"                [-R msgsize [-H hdrsize] | -W writesize] [-C cpu] [-g]\n");
	exit(1);
}

static unsigned long long parse_size(const char *s)
{
	const char *plus = strchr(s, '+');
	unsigned long long v;
	char *end;

	if (plus && plus != s) {
		char head[32];

		if ((size_t)(plus - s) >= sizeof(head))
			goto bad;
		memcpy(head, s, plus - s);
		head[plus - s] = 0;
		return parse_size(head) + parse_size(plus + 1);
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		goto bad;
	return v;
bad:
	errno = 0;
	die("bad size '%s'", s);
}

static enum mode parse_mode(const char *s)
{
	int i;

	for (i = 0; i < M_NONE; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	errno = 0;
	die("unknown mode '%s'", s);
}

static void *alloc_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap(%zu)", len);
	return p;
}

static size_t round_up_page(size_t len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu);
}

static void set_int(int fd, int level, int opt, int val, const char *name)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)))
		die("setsockopt(%s, %d)", name, val);
}

/* --- receive ----------------------------------------------------------- */

static void wait_readable(int fd, struct rx_stats *st)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, -1);
		st->calls++;
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		die("poll");
}

/* recv() counting the call; 0 is EOF, any error is fatal. */
static size_t do_recv(int fd, void *buf, size_t len, int flags,
		      struct rx_stats *st)
{
	ssize_t n;

	do {
		n = recv(fd, buf, len, flags);
		st->calls++;
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("recv(%zu)", len);
	st->bytes += n;
	if (!(flags & MSG_TRUNC))
		st->copied += n;
	return n;
}

/* copy and trunc: whole stream (msg == 0) or one message; false at EOF */
static bool rx_copy(int fd, char *buf, size_t len, size_t msg, bool trunc,
		    struct rx_stats *st)
{
	int flags = trunc ? MSG_TRUNC : 0;
	size_t left = msg, n;

	if (!msg) {
		while (do_recv(fd, trunc ? NULL : buf, len, flags, st))
			;
		return false;
	}
	while (left) {
		n = do_recv(fd, trunc ? NULL : buf + (msg - left), left,
			    flags | MSG_WAITALL, st);
		if (!n)
			return false;
		left -= n;
	}
	return true;
}

struct zc_ctx {
	char *map;		/* PROT_READ mapping of the socket */
	size_t map_len;
	char *buf;		/* copy buffer: copybuf and recv() */
	size_t buf_len;
	bool copybuf;		/* zc-copybuf mode */
	long long avail;	/* bytes queued as of the last call (zc.inq) */
};

/*
 * One TCP_ZEROCOPY_RECEIVE: map up to @len bytes, copy up to @cb_len bytes
 * (when > 0) into the copy buffer.  Returns false at EOF.
 */
static bool zc_call(int fd, struct zc_ctx *c, size_t len, size_t cb_len,
		    struct tcp_zerocopy_receive *zc, struct rx_stats *st)
{
	socklen_t zc_len = sizeof(*zc);
	char dummy;
	int ret;

	do {
		memset(zc, 0, sizeof(*zc));
		zc->address = (uintptr_t)c->map;
		zc->length = len;
		if (cb_len) {
			zc->copybuf_address = (uintptr_t)c->buf;
			zc->copybuf_len = cb_len;
		}
		ret = getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, zc,
				 &zc_len);
		st->calls++;
	} while (ret && errno == EINTR);
	if (ret && errno == EIO) {
		/* Nothing queued and the connection is done: EOF or reset. */
		if (do_recv(fd, &dummy, 1, 0, st))
			die("data after TCP_ZEROCOPY_RECEIVE reported EIO");
		return false;
	}
	if (ret)
		die("getsockopt(TCP_ZEROCOPY_RECEIVE)");
	if (zc->err) {
		errno = -zc->err;
		die("TCP_ZEROCOPY_RECEIVE: socket error");
	}
	if (zc->copybuf_len < 0) {
		errno = -zc->copybuf_len;
		die("TCP_ZEROCOPY_RECEIVE: copybuf");
	}
	if (zc->length > len || (size_t)zc->copybuf_len > cb_len) {
		errno = 0;
		die("TCP_ZEROCOPY_RECEIVE: got %u+%d bytes, asked %zu+%zu",
		    zc->length, zc->copybuf_len, len, cb_len);
	}
	st->mapped += zc->length;
	st->copied += zc->copybuf_len;
	st->copybuf += zc->copybuf_len;
	st->bytes += zc->length + zc->copybuf_len;
	c->avail = zc->inq;
	return true;
}

/*
 * Bulk: map as much as the window takes, recv() what the kernel says to
 * skip.  zc-copybuf passes a copy buffer of PAGE_SIZE - 1 bytes, so that
 * sub-page pieces are copied by the same call: not more, since the
 * kernel copies everything instead of mapping whenever no more than
 * copybuf_len bytes are queued.
 */
static void rx_zc_bulk(int fd, struct zc_ctx *c, struct rx_stats *st)
{
	size_t cb_len = c->copybuf ? page_size - 1 : 0, skip, n;
	struct tcp_zerocopy_receive zc;

	for (;;) {
		if (c->avail <= 0)
			wait_readable(fd, st);
		if (!zc_call(fd, c, c->map_len, cb_len, &zc, st))
			return;
		/*
		 * recv_skip_hint counts from where the call left off (after
		 * what it copied).  After a copy, try mapping again first:
		 * the hint may be the conservative rest of an skb.
		 */
		skip = zc.copybuf_len > 0 ? 0 : zc.recv_skip_hint;
		if (skip) {
			n = do_recv(fd, c->buf, skip < c->buf_len ?
				    skip : c->buf_len, 0, st);
			if (!n)
				return;
			c->avail = zc.inq > n ? zc.inq - n : 0;
			continue;
		}
		if (zc.length || zc.copybuf_len)
			continue;
		/* No progress although poll() said readable. */
		n = recv(fd, c->buf, c->buf_len, MSG_DONTWAIT);
		st->calls++;
		if (n == 0)
			return;
		if ((ssize_t)n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				die("recv");
			c->avail = 0;
			continue;
		}
		st->bytes += n;
		st->copied += n;
	}
}

/*
 * RPC: consume exactly @msg bytes.  Each call maps the whole pages of what
 * is left of the message; the straggler (left % PAGE_SIZE) goes into the
 * copy buffer in the same call (zc-copybuf) or is recv()ed; unmappable
 * stretches the kernel reports in recv_skip_hint are recv()ed.  No call
 * ever asks for more than the message, so messages stay apart.
 * Returns false at EOF.
 */
static bool rx_zc_msg(int fd, struct zc_ctx *c, size_t msg,
		      struct rx_stats *st)
{
	struct tcp_zerocopy_receive zc;
	size_t left = msg, got, skip, cb_len, n;

	while (left) {
		if (left < page_size) {
			n = do_recv(fd, c->buf, left, MSG_WAITALL, st);
			if (!n)
				return false;
			left -= n;
			c->avail = c->avail > (long long)n ? c->avail - n : 0;
			continue;
		}
		if (c->avail < (long long)left)
			wait_readable(fd, st);
		cb_len = c->copybuf ? left & (page_size - 1) : 0;
		if (!zc_call(fd, c, left & ~(page_size - 1), cb_len, &zc, st))
			return false;
		got = zc.length + zc.copybuf_len;
		left -= got;
		/*
		 * recv_skip_hint counts from where the call left off.  After
		 * progress, try mapping again first: the hint may be the
		 * conservative rest of an skb (a header at its start).
		 */
		skip = zc.recv_skip_hint;
		if (!left)
			break;
		if (got)
			continue;
		/* Unmappable data, or no progress: copy, within the message. */
		n = skip && skip < left ? skip : left;
		n = do_recv(fd, c->buf, n, 0, st);
		if (!n)
			return false;
		left -= n;
		c->avail = zc.inq > (long long)n ? zc.inq - n : 0;
	}
	return true;
}

static volatile bool spin_stop;
#define SPIN_BURST	(1UL << 16)
#define SPIN_NAP_US	50

/* -T: keep the process's mm live on another CPU (see the header). */
static void *spinner(void *arg)
{
	struct sched_param sp = {};
	volatile unsigned long n = 0;

	(void)arg;
	pin_cpu(cfg_spin_cpu);
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		die("sched_setscheduler(SCHED_IDLE)");
	while (!spin_stop) {
		unsigned long i;

		for (i = 0; i < SPIN_BURST; i++)
			n++;
		usleep(SPIN_NAP_US);
	}
	return (void *)n;
}

static void server(void)
{
	pthread_t spin_thread;
	struct sockaddr_storage ss = {};
	struct rx_stats st = {};
	struct zc_ctx c = {};
	int lfd, fd, family;
	socklen_t slen;
	size_t len;

	family = cfg_family == AF_INET ? AF_INET : AF_INET6;
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	set_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	if (cfg_mss)
		set_int(lfd, IPPROTO_TCP, TCP_MAXSEG, cfg_mss, "TCP_MAXSEG");
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons(cfg_port);
		slen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin_port = htons(cfg_port);
		slen = sizeof(*a);
	}
	if (bind(lfd, (struct sockaddr *)&ss, slen))
		die("bind(port %d)", cfg_port);
	if (listen(lfd, 1))
		die("listen");
	if (cfg_go) {
		printf("listening\n");
		if (fflush(stdout))
			die("stdout");
	}
	do {
		fd = accept(lfd, NULL, NULL);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		die("accept");
	close(lfd);

	if (cfg_spin_cpu >= 0) {
		errno = pthread_create(&spin_thread, NULL, spinner, NULL);
		if (errno)
			die("pthread_create");
	}
	if (cfg_msg)
		set_int(fd, SOL_SOCKET, SO_RCVLOWAT,
			cfg_msg > INT_MAX ? INT_MAX : (int)cfg_msg,
			"SO_RCVLOWAT");

	len = cfg_msg ? cfg_msg : DEFAULT_CHUNK;
	switch (cfg_mode) {
	case M_COPY:
	case M_TRUNC:
		c.buf = cfg_mode == M_COPY ? alloc_buf(len) : NULL;
		if (cfg_msg) {
			while (rx_copy(fd, c.buf, len, cfg_msg,
				       cfg_mode == M_TRUNC, &st))
				;
		} else {
			rx_copy(fd, c.buf, len, 0, cfg_mode == M_TRUNC, &st);
		}
		break;
	case M_ZC:
	case M_ZC_COPYBUF:
		c.map_len = round_up_page(len);
		c.map = mmap(NULL, c.map_len, PROT_READ, MAP_SHARED, fd, 0);
		if (c.map == MAP_FAILED)
			die("mmap of the socket (%zu bytes)", c.map_len);
		c.buf_len = len;
		c.buf = alloc_buf(len);
		c.copybuf = cfg_mode == M_ZC_COPYBUF;
		if (cfg_msg) {
			while (rx_zc_msg(fd, &c, cfg_msg, &st))
				;
		} else {
			rx_zc_bulk(fd, &c, &st);
		}
		munmap(c.map, c.map_len);
		break;
	default:
		errno = 0;
		die("mode %s is not a receive mode", mode_names[cfg_mode]);
	}

	if (cfg_spin_cpu >= 0) {
		spin_stop = true;
		pthread_join(spin_thread, NULL);
	}
	printf("rx mode=%s bytes=%llu mapped=%llu copied=%llu copybuf=%llu calls=%llu\n",
	       mode_names[cfg_mode], st.bytes, st.mapped, st.copied,
	       st.copybuf, st.calls);
	if (fflush(stdout))
		die("stdout");
	close(fd);
}

/* --- send -------------------------------------------------------------- */

/* Read every queued zerocopy notification; true if there was one. */
static bool read_completions(int fd, struct tx_stats *st)
{
	struct sock_extended_err *serr;
	struct msghdr msg = {};
	struct cmsghdr *cm;
	char control[128];
	bool any = false;
	__u32 range;
	int ret;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		ret = recvmsg(fd, &msg, MSG_ERRQUEUE);
		st->calls++;
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && errno == EAGAIN)
			return any;
		if (ret < 0)
			die("recvmsg(MSG_ERRQUEUE)");
		if (msg.msg_flags & MSG_CTRUNC) {
			errno = 0;
			die("completion: control data truncated");
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			serr = (struct sock_extended_err *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY ||
			    serr->ee_errno) {
				errno = serr->ee_errno;
				die("unexpected error queue entry (origin %u)",
				    serr->ee_origin);
			}
			range = serr->ee_data - serr->ee_info + 1;
			st->completions += range;
			if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				st->copied += range;
			any = true;
		}
	}
}

/* zcring: the completion ring, in a page of its own */
struct tx_ring {
	struct zcring *r;
	__u32 overflow;		/* r->overflow last seen */
};

/* zcring: register a ring of RING_ENTRIES at the start of a fresh page. */
static void ring_setup(int fd, struct tx_ring *ring)
{
	struct zcring_reg reg = {};

	ring->r = alloc_buf(page_size);
	ring->overflow = 0;
	reg.addr = (uintptr_t)ring->r;
	reg.entries = RING_ENTRIES;
	if (!setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY_RING, &reg, sizeof(reg)))
		return;
	if (errno == ENOPROTOOPT)
		die("setsockopt(SO_ZEROCOPY_RING): this kernel has no completion ring (mode zcring needs the series)");
	die("setsockopt(SO_ZEROCOPY_RING, %u entries)", RING_ENTRIES);
}

/* zcring: ranges the kernel sent to the error queue, the ring being full */
static __u32 ring_overflow(struct tx_ring *ring)
{
	return __atomic_load_n(&ring->r->overflow, __ATOMIC_RELAXED);
}

/* zcring: consume every entry the kernel published; true if there was one. */
static bool read_ring(struct tx_ring *ring, struct tx_stats *st)
{
	struct zcring *r = ring->r;
	struct zcring_entry *e;
	__u32 head, tail, range;

	/* Pairs with the kernel's release of head after the entry. */
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	tail = r->tail;		/* only we write it */
	if (head == tail)
		return false;
	if (head - tail > RING_ENTRIES) {
		errno = 0;
		die("ring: head %u is %u entries past tail %u", head,
		    head - tail, tail);
	}
	for (; tail != head; tail++) {
		e = &r->entries[tail & (RING_ENTRIES - 1)];
		range = e->hi - e->lo + 1;
		st->completions += range;
		if (e->code & SO_EE_CODE_ZEROCOPY_COPIED)
			st->copied += range;
	}
	/* The entries are read: the kernel may write them again. */
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	return true;
}

/*
 * zcring: read the ring, and the error queue if the ring overflowed since
 * it was last read (the ranges that found the ring full went there).
 * True if anything completed.
 */
static bool reap_ring(int fd, struct tx_ring *ring, struct tx_stats *st)
{
	__u32 overflow = ring_overflow(ring);
	bool any = read_ring(ring, st);

	if (overflow != ring->overflow) {
		ring->overflow = overflow;
		if (read_completions(fd, st))
			any = true;
	}
	return any;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A POLLERR that is no completion: a socket error, fatal. */
static void check_so_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		die("getsockopt(SO_ERROR)");
	if (err) {
		errno = err;
		die("socket error");
	}
}

/* Wait (at most @ms) for the error queue or for data/EOF. */
static short tx_poll(int fd, short events, int ms, struct tx_stats *st)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	ret = poll(&pfd, 1, ms);
	st->calls++;
	if (ret < 0 && errno != EINTR)
		die("poll");
	return ret > 0 ? pfd.revents : 0;
}

/*
 * send() all of @buf with @flags (MSG_ZEROCOPY: reap completions as
 * needed).  With @ring (zcring), the ring is read after every send, and
 * since it wakes nobody up, ENOBUFS waits in short polls.
 */
static void send_buf(int fd, const char *buf, size_t len, int flags,
		     struct tx_ring *ring, struct tx_stats *st)
{
	int idle = 0, nap_ms = ring ? RING_POLL_MS : 1000;
	bool any;
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, flags);
		st->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS && (flags & MSG_ZEROCOPY)) {
			/* Out of optmem for notifications: reap them. */
			any = ring && read_ring(ring, st);
			if (ring)	/* the error queue is read next */
				ring->overflow = ring_overflow(ring);
			if (read_completions(fd, st))
				any = true;
			if (any) {
				idle = 0;
				continue;
			}
			if (tx_poll(fd, 0, nap_ms, st) & POLLERR)
				continue;
			idle += nap_ms;
			if (idle > DRAIN_TIMEOUT_MS) {
				errno = ENOBUFS;
				die("send: no completion to free buffers");
			}
			continue;
		}
		if (n < 0)
			die("send(%zu)", len);
		if (flags & MSG_ZEROCOPY)
			st->ids++;
		st->bytes += n;
		buf += n;
		len -= n;
		if (ring)
			reap_ring(fd, ring, st);
		else if (cfg_mode == M_ZCEAGER && (flags & MSG_ZEROCOPY))
			read_completions(fd, st);	/* after every call */
	}
}

static void sendfile_all(int fd, int file, size_t len, struct tx_stats *st)
{
	off_t off = 0;
	ssize_t n;

	while (len) {
		n = sendfile(fd, file, &off, len);
		st->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("sendfile(%zu)", len);
		if (!n) {
			errno = 0;
			die("sendfile: short file");
		}
		st->bytes += n;
		len -= n;
	}
}

/* A tmpfs file of @len pattern bytes, already unlinked. */
static int make_file(const char *buf, size_t len)
{
	static const char * const dirs[] = { "/dev/shm", "/tmp" };
	char path[64];
	size_t done;
	ssize_t n;
	int i, fd = -1;

	for (i = 0; i < 2 && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/zc_bench.XXXXXX", dirs[i]);
		fd = mkstemp(path);
	}
	if (fd < 0)
		die("mkstemp in /dev/shm and /tmp");
	unlink(path);
	for (done = 0; done < len; done += n) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			die("write %s", path);
	}
	return fd;
}

static int connect_to(const char *host)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	socklen_t slen;
	int fd, i;

	if (cfg_family != AF_INET &&
	    inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(cfg_port);
		slen = sizeof(*a6);
	} else if (cfg_family != AF_INET6 &&
		   inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(cfg_port);
		slen = sizeof(*a4);
	} else {
		errno = 0;
		die("'%s' is not an IPv%c address", host,
		    cfg_family == AF_INET ? '4' : '6');
	}

	/* The server may still be starting: retry for up to 10 s. */
	for (i = 0; ; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (cfg_mss)
			set_int(fd, IPPROTO_TCP, TCP_MAXSEG, cfg_mss,
				"TCP_MAXSEG");
		if (!connect(fd, (struct sockaddr *)&ss, slen))
			return fd;
		if (errno != ECONNREFUSED || i == 100)
			die("connect to %s port %d", host, cfg_port);
		close(fd);
		usleep(100000);
	}
}

static void client(void)
{
	struct tx_ring ring = {}, *rp = NULL;
	struct tx_stats st = {};
	unsigned long long sent = 0;
	size_t wsize, n;
	long long deadline;
	int fd, file = -1;
	bool eof = false, progress;
	ssize_t r;
	short ev;
	char *buf;

	wsize = cfg_msg ? cfg_msg : cfg_write;
	if (!wsize) {
		errno = 0;
		die("write size 0");
	}
	if (cfg_msg) {
		cfg_total -= cfg_total % cfg_msg;
		if (!cfg_total)
			cfg_total = cfg_msg;
	}
	buf = alloc_buf(round_up_page(wsize));
	for (n = 0; n < wsize; n++)
		buf[n] = 'a' + n % 26;

	switch (cfg_mode) {
	case M_COPY:
	case M_ZC:
	case M_ZCEAGER:
	case M_ZCRING:
		break;
	case M_SENDFILE:
		file = make_file(buf, wsize);
		break;
	default:
		errno = 0;
		die("mode %s is not a send mode", mode_names[cfg_mode]);
	}

	fd = connect_to(cfg_host);
	if (cfg_mode == M_ZC || cfg_mode == M_ZCEAGER || cfg_mode == M_ZCRING)
		set_int(fd, SOL_SOCKET, SO_ZEROCOPY, 1, "SO_ZEROCOPY");
	if (cfg_mode == M_ZCRING) {
		ring_setup(fd, &ring);
		rp = &ring;
	}
	if (cfg_go) {
		char c;

		printf("ready\n");
		if (fflush(stdout))
			die("stdout");
		while (read(0, &c, 1) < 0)
			if (errno != EINTR)
				die("read(stdin) for -g");
	}

	while (sent < cfg_total) {
		n = cfg_total - sent < wsize ? cfg_total - sent : wsize;
		if (cfg_hdr) {
			/* -H: the header ends its segment */
			send_buf(fd, buf, cfg_hdr, MSG_EOR, NULL, &st);
			sent += cfg_hdr;
			n -= cfg_hdr;
		}
		if (cfg_mode == M_SENDFILE)
			sendfile_all(fd, file, n, &st);
		else if (cfg_mode == M_COPY)
			send_buf(fd, buf, n, 0, NULL, &st);
		else
			send_buf(fd, buf, n, MSG_ZEROCOPY, rp, &st);
		sent += n;
	}

	/* Done: wait until the server saw everything, and for completions. */
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	deadline = now_ms() + DRAIN_TIMEOUT_MS;
	while (!eof || st.completions < st.ids) {
		progress = rp && reap_ring(fd, rp, &st);
		if (eof && st.completions >= st.ids)
			break;
		ev = tx_poll(fd, eof ? 0 : POLLIN, rp ? RING_POLL_MS : 100,
			     &st);
		if (ev & POLLERR) {
			if (cfg_mode != M_COPY && cfg_mode != M_SENDFILE &&
			    read_completions(fd, &st))
				progress = true;
			else
				check_so_error(fd);
		}
		if ((ev & (POLLIN | POLLHUP)) && !eof) {
			r = recv(fd, buf, wsize, MSG_DONTWAIT);
			st.calls++;
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("recv (waiting for EOF)");
			eof = r == 0;
			if (r >= 0)
				progress = true;
		}
		if (progress) {
			deadline = now_ms() + DRAIN_TIMEOUT_MS;
		} else if (now_ms() > deadline) {
			errno = 0;
			die("timeout: eof=%d, %llu of %llu completions",
			    eof, st.completions, st.ids);
		} else if (ev) {
			/* e.g. POLLHUP after EOF returns at once: don't spin */
			usleep(1000);
		}
	}

	printf("tx mode=%s bytes=%llu calls=%llu completions=%llu copied=%llu\n",
	       mode_names[cfg_mode], st.bytes, st.calls, st.completions,
	       st.copied);
	if (fflush(stdout))
		die("stdout");
	close(fd);
	if (file >= 0)
		close(file);
}

int main(int argc, char **argv)
{
	int opt;

	page_size = sysconf(_SC_PAGESIZE);
	while ((opt = getopt(argc, argv, "sc:m:64p:M:R:H:W:S:C:T:gh")) != -1) {
		switch (opt) {
		case 's':
			cfg_server = true;
			break;
		case 'c':
			cfg_host = optarg;
			break;
		case 'm':
			cfg_mode = parse_mode(optarg);
			break;
		case '6':
			cfg_family = AF_INET6;
			break;
		case '4':
			cfg_family = AF_INET;
			break;
		case 'p':
			cfg_port = atoi(optarg);
			break;
		case 'M':
			cfg_mss = atoi(optarg);
			break;
		case 'R':
			cfg_msg = parse_size(optarg);
			break;
		case 'W':
			cfg_write = parse_size(optarg);
			break;
		case 'S':
			cfg_total = parse_size(optarg);
			break;
		case 'C':
			cfg_cpu = atoi(optarg);
			break;
		case 'H':
			cfg_hdr = parse_size(optarg);
			break;
		case 'T':
			cfg_spin_cpu = atoi(optarg);
			break;
		case 'g':
			cfg_go = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg_server == !!cfg_host || cfg_mode == M_NONE ||
	    cfg_port <= 0 || cfg_port > 65535 || cfg_msg > INT_MAX ||
	    cfg_write > INT_MAX || (cfg_hdr && (cfg_server || cfg_hdr >= cfg_msg)) ||
	    (cfg_spin_cpu >= 0 && !cfg_server))
		usage();
	if (cfg_server ? cfg_mode == M_SENDFILE || cfg_mode == M_ZCRING ||
			 cfg_mode == M_ZCEAGER :
	    cfg_mode == M_ZC_COPYBUF || cfg_mode == M_TRUNC) {
		errno = 0;
		die("mode %s is not a %s mode", mode_names[cfg_mode],
		    cfg_server ? "receive" : "send");
	}
	/* A peer that went away is an error (EPIPE), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (cfg_cpu >= 0)
		pin_cpu(cfg_cpu);
	if (cfg_server)
		server();
	else
		client();
	return 0;
}
