/*
 * ping.c — echo requests over a ping socket or a raw socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/icmperr.h"
#include "diag/ping.h"
#include "diag/probe.h"

#define PING_PAYLOAD 56

/* Microseconds of the monotonic clock. */
static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Defaults: 3 echoes a second apart. */
void
ping_opts_default(struct ping_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 3;
	o->interval_ms = 1000;
	o->timeout_ms = 2000;
}

/* RFC 1071 checksum. */
unsigned short
ping_checksum(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long sum = 0;

	while (len > 1) {
		sum += (unsigned)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		sum += (unsigned)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((unsigned short)~sum);
}

struct pinger {
	int fd;
	bool raw;
	unsigned short id;
	long long sent_at[PING_COUNT_MAX + 1];
	bool got[PING_COUNT_MAX + 1];
	struct ping_result *r;
	double sum_ms;
};

/* Record an ICMP error (deduplicated by sender, type and code). */
static void
add_error(struct ping_result *r, const char *from, int type, int code,
          unsigned mtu)
{
	struct ping_icmp_error *e;

	for (int i = 0; i < r->nerr; i++)
		if (strcmp(r->err[i].from, from) == 0 &&
		    r->err[i].type == type && r->err[i].code == code)
			return;
	if (r->nerr >= PING_ERR_MAX)
		return;
	e = &r->err[r->nerr++];
	mc_strlcpy(e->from, from, sizeof(e->from));
	e->type = type;
	e->code = code;
	e->mtu = mtu;
	mc_strlcpy(e->text, icmperr_describe(AF_INET, type, code),
	           sizeof(e->text));
}

/* Count a reply to sequence seq. */
static void
add_reply(struct pinger *p, unsigned seq, int ttl)
{
	struct ping_result *r = p->r;
	double ms;

	if (seq == 0 || seq > PING_COUNT_MAX || p->got[seq] ||
	    p->sent_at[seq] == 0)
		return;
	p->got[seq] = true;
	ms = (double)(now_us() - p->sent_at[seq]) / 1000.0;
	if (r->received == 0 || ms < r->min_ms)
		r->min_ms = ms;
	if (ms > r->max_ms)
		r->max_ms = ms;
	p->sum_ms += ms;
	r->received++;
	r->ttl = ttl;
}

/* Read one datagram from a ping socket. */
static void
read_dgram(struct pinger *p)
{
	unsigned char buf[1500], cbuf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = cbuf,
	                   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	struct icmphdr ih;
	ssize_t n;
	int ttl = -1;

	n = recvmsg(p->fd, &m, MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(ih))
		return;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
	memcpy(&ih, buf, sizeof(ih));
	if (ih.type == ICMP_ECHOREPLY)
		add_reply(p, ntohs(ih.un.echo.sequence), ttl);
}

/* Read one packet from a raw socket (IP header included). */
static void
read_raw(struct pinger *p)
{
	unsigned char buf[1500];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct icmphdr ih, oih;
	struct iphdr iph, oiph;
	ssize_t n;
	size_t hl, ohl;
	char fs[INET_ADDRSTRLEN];

	n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
	             (struct sockaddr *)&from, &fl);
	if (n < (ssize_t)sizeof(iph))
		return;
	memcpy(&iph, buf, sizeof(iph));
	hl = (size_t)iph.ihl * 4;
	if (hl < sizeof(iph) || (size_t)n < hl + sizeof(ih))
		return;
	memcpy(&ih, buf + hl, sizeof(ih));
	inet_ntop(AF_INET, &from.sin_addr, fs, sizeof(fs));
	if (ih.type == ICMP_ECHOREPLY) {
		if (ntohs(ih.un.echo.id) == p->id)
			add_reply(p, ntohs(ih.un.echo.sequence), iph.ttl);
		return;
	}
	if (ih.type != ICMP_DEST_UNREACH && ih.type != ICMP_TIME_EXCEEDED)
		return;
	/* The error quotes our packet: IP header + the echo header. */
	if ((size_t)n < hl + 8 + sizeof(oiph))
		return;
	memcpy(&oiph, buf + hl + 8, sizeof(oiph));
	ohl = (size_t)oiph.ihl * 4;
	if (ohl < sizeof(oiph) || (size_t)n < hl + 8 + ohl + sizeof(oih))
		return;
	memcpy(&oih, buf + hl + 8 + ohl, sizeof(oih));
	if (oih.type != ICMP_ECHO || ntohs(oih.un.echo.id) != p->id)
		return;
	add_error(p->r, fs, ih.type, ih.code,
	          ih.code == ICMP_FRAG_NEEDED ? ntohs(ih.un.frag.mtu) : 0);
}

/* Drain the error queue of a ping socket. */
static void
read_errq(struct pinger *p)
{
	struct icmperr e;

	while (icmperr_read(p->fd, &e) == 0)
		if (e.origin == 2 /* SO_EE_ORIGIN_ICMP */)
			add_error(p->r, e.from, e.type, e.code,
			          e.type == ICMP_DEST_UNREACH &&
			                  e.code == ICMP_FRAG_NEEDED
			              ? e.info
			              : 0);
}

/* Wait for replies until the given time. */
static void
collect(struct pinger *p, long long until_us)
{
	for (;;) {
		struct pollfd pf = {.fd = p->fd, .events = POLLIN};
		long long left = until_us - now_us();

		if (left <= 0 || p->r->received == p->r->sent)
			return;
		if (poll(&pf, 1, (int)((left + 999) / 1000)) <= 0)
			return;
		if (pf.revents & POLLERR)
			read_errq(p);
		if (pf.revents & POLLIN)
			p->raw ? read_raw(p) : read_dgram(p);
	}
}

/* Open a ping socket or a raw one; MC_EUNSUPP when neither is allowed. */
static int
open_socket(struct pinger *p, char *err, size_t errlen)
{
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (p->fd >= 0) {
		p->r->method = "ping socket";
		icmperr_enable(p->fd, AF_INET);
		return 0;
	}
	p->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (p->fd >= 0) {
		p->raw = true;
		p->r->method = "raw socket";
		return 0;
	}
	snprintf(
	    err, errlen,
	    "cannot send ICMP echo: ping sockets are not allowed for your "
	    "group (sysctl net.ipv4.ping_group_range; e.g. `sysctl -w "
	    "net.ipv4.ping_group_range=\"0 2147483647\"`) and raw sockets need "
	    "root or CAP_NET_RAW");
	return MC_EUNSUPP;
}

/* Ping. */
int
ping_run(const struct ping_opts *o, struct ping_result *r, char *err,
         size_t errlen)
{
	static struct pinger p; /* large; ping is not reentrant */
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned char pkt[sizeof(struct icmphdr) + PING_PAYLOAD];
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->ttl = -1;
	if (o->count < 1 || o->count > PING_COUNT_MAX) {
		snprintf(err, errlen, "--count must be 1..%d", PING_COUNT_MAX);
		return MC_EINVAL;
	}
	rc = probe_resolve(o->host, &ss, &sl, r->addr, sizeof(r->addr), err,
	                   errlen);
	if (rc != 0)
		return rc;
	if (ss.ss_family != AF_INET) {
		snprintf(err, errlen,
		         "ping: %s is not an IPv4 address "
		         "(IPv6 ping is not built yet)",
		         r->addr);
		return MC_EINVAL;
	}
	p.r = r;
	if ((rc = open_socket(&p, err, errlen)) != 0)
		return rc;
	p.id = (unsigned short)(getpid() & 0xffff);
	if (o->ttl > 0)
		setsockopt(p.fd, IPPROTO_IP, IP_TTL, &o->ttl, sizeof(o->ttl));
	for (int seq = 1; seq <= o->count; seq++) {
		struct icmphdr ih = {.type = ICMP_ECHO};

		ih.un.echo.id = htons(p.id);
		ih.un.echo.sequence = htons((unsigned short)seq);
		memset(pkt, 0, sizeof(pkt));
		memcpy(pkt, &ih, sizeof(ih));
		memcpy(pkt + sizeof(ih), "mailcast", 8);
		if (p.raw) {
			ih.checksum = ping_checksum(pkt, sizeof(pkt));
			memcpy(pkt, &ih, sizeof(ih));
		}
		p.sent_at[seq] = now_us();
		if (sendto(p.fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss,
		           sl) < 0) {
			if (errno == EPERM || errno == EACCES) {
				snprintf(err, errlen,
				         "sending ICMP to %s: %s (a local "
				         "firewall?)",
				         r->addr, strerror(errno));
				close(p.fd);
				return MC_EIO;
			}
			read_errq(&p);
		}
		r->sent++;
		collect(&p, now_us() + (seq == o->count
		                            ? (long long)o->timeout_ms
		                            : (long long)o->interval_ms) *
		                           1000);
		/* Keep the pace even when replies came early. */
		if (seq < o->count) {
			long long next =
			    p.sent_at[seq] + (long long)o->interval_ms * 1000;
			long long wait = next - now_us();

			if (wait > 0) {
				collect(&p, next);
				wait = next - now_us();
				if (wait > 0)
					usleep((useconds_t)wait);
			}
		}
	}
	close(p.fd);
	r->avg_ms = r->received ? p.sum_ms / r->received : 0;
	r->loss_pct = r->sent ? 100.0 * (r->sent - r->received) / r->sent : 0;
	return 0;
}
