/*
 * trace.c — TTL-limited probes, answers from the socket error queue.
 * Probes go one at a time, so an answer belongs to the probe in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/icmperr.h"
#include "diag/probe.h"
#include "diag/trace.h"

#define TRACE_BASE_PORT 33434

/* Microseconds of the monotonic clock. */
static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Defaults: UDP, 30 hops, 1 s a probe, give up after 3 silent hops. */
void
trace_opts_default(struct trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = TRACE_UDP;
	o->port = 25;
	o->max_hops = 30;
	o->timeout_ms = 1000;
	o->max_silent = 3;
}

/* "udp", "icmp", "tcp". */
const char *
trace_mode_name(enum trace_mode m)
{
	return m == TRACE_TCP ? "tcp" : m == TRACE_ICMP ? "icmp" : "udp";
}

/* What one probe learnt. */
enum outcome { O_SILENT, O_HOP, O_REACHED, O_REJECTED, O_MTU, O_ERROR };

/* Interpret an error-queue entry for the hop record. */
static enum outcome
from_icmperr(const struct icmperr *e, const char *dst, struct trace_hop *h)
{
	mc_strlcpy(h->addr, e->from, sizeof(h->addr));
	h->icmp_type = e->type;
	h->icmp_code = e->code;
	if (e->err == EMSGSIZE) {
		h->mtu = e->info;
		return O_MTU;
	}
	if (e->origin != SO_EE_ORIGIN_ICMP) {
		mc_strlcpy(h->what, strerror(e->err), sizeof(h->what));
		return O_ERROR;
	}
	mc_strlcpy(h->what, icmperr_describe(AF_INET, e->type, e->code),
	           sizeof(h->what));
	if (e->type == ICMP_TIME_EXCEEDED)
		return O_HOP;
	if (e->type == ICMP_DEST_UNREACH &&
	    (e->code == ICMP_PORT_UNREACH || e->code == ICMP_PROT_UNREACH) &&
	    strcmp(e->from, dst) == 0)
		return O_REACHED;
	return O_REJECTED;
}

/* Wait for the answer to one UDP/ICMP probe on fd. */
static enum outcome
wait_dgram(int fd, const char *dst, int timeout_ms, long long sent,
           struct trace_hop *h, bool icmp)
{
	long long deadline = sent + (long long)timeout_ms * 1000;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_us();
		struct icmperr e;

		if (left <= 0)
			return O_SILENT;
		if (poll(&pf, 1, (int)((left + 999) / 1000)) <= 0)
			return O_SILENT;
		h->rtt_ms = (double)(now_us() - sent) / 1000.0;
		if (pf.revents & POLLERR) {
			if (icmperr_read(fd, &e) == 0)
				return from_icmperr(&e, dst, h);
		}
		if (pf.revents & POLLIN) {
			unsigned char buf[2048];
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (icmp && n >= 8 && buf[0] == ICMP_ECHOREPLY) {
				mc_strlcpy(h->addr, dst, sizeof(h->addr));
				mc_strlcpy(h->what, "echo reply",
				           sizeof(h->what));
				return O_REACHED;
			}
		}
	}
}

/* One TCP SYN with a TTL; the answer is a connect result or ICMP. */
static enum outcome
probe_tcp(const struct sockaddr_in *sin, int ttl, int timeout_ms,
          const char *dst, struct trace_hop *h, unsigned *pmtu)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	long long sent;
	struct pollfd pf;
	enum outcome out = O_SILENT;
	struct icmperr e;
	int soerr = 0;
	socklen_t el = sizeof(soerr);

	if (fd < 0)
		return O_ERROR;
	icmperr_enable(fd, AF_INET);
	setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	sent = now_us();
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return O_ERROR;
	}
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, timeout_ms) > 0) {
		h->rtt_ms = (double)(now_us() - sent) / 1000.0;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
		if (icmperr_read(fd, &e) == 0 && e.from[0] != '\0')
			out = from_icmperr(&e, dst, h);
		else if (soerr == 0 || soerr == ECONNREFUSED) {
			mc_strlcpy(h->addr, dst, sizeof(h->addr));
			mc_strlcpy(h->what,
			           soerr == 0 ? "port open (SYN-ACK)"
			                      : "port closed (RST)",
			           sizeof(h->what));
			out = O_REACHED;
			if (soerr == 0) {
				int mtu = 0;
				socklen_t ml = sizeof(mtu);

				if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu,
				               &ml) == 0 &&
				    mtu > 0)
					*pmtu = (unsigned)mtu;
			}
		} else if (soerr != 0) {
			mc_strlcpy(h->what, strerror(soerr), sizeof(h->what));
			out = O_ERROR;
		}
	}
	close(fd);
	return out;
}

/* Open the UDP or ICMP probe socket, connected to the target. */
static int
open_dgram(const struct trace_opts *o, struct sockaddr_in *sin, char *err,
           size_t errlen)
{
	int fd, pmtud = IP_PMTUDISC_DO;

	if (o->mode == TRACE_ICMP) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
		if (fd < 0) {
			snprintf(
			    err, errlen,
			    "ICMP trace needs ping sockets: allow your group "
			    "in sysctl net.ipv4.ping_group_range, or use "
			    "--udp / --tcp");
			return MC_EUNSUPP;
		}
	} else
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return MC_EIO;
	}
	icmperr_enable(fd, AF_INET);
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtud, sizeof(pmtud));
	sin->sin_port = htons(TRACE_BASE_PORT);
	if (connect(fd, (struct sockaddr *)sin, sizeof(*sin)) != 0) {
		snprintf(err, errlen, "no route to %s: %s", o->host,
		         strerror(errno));
		close(fd);
		return MC_ECONN;
	}
	return fd;
}

/* Send one UDP/ICMP probe of size bytes with the given TTL. */
static int
send_dgram(int fd, const struct trace_opts *o, struct sockaddr_in *sin, int ttl,
           size_t size, unsigned *mtu)
{
	static unsigned char payload[65536];
	size_t hdr = 28; /* IPv4 + UDP or ICMP header */
	ssize_t n;

	setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	if (size < hdr + 8)
		size = hdr + 8;
	(void)sin;
	if (o->mode == TRACE_UDP) {
		/* One connected port for all probes: the kernel matches ICMP
		 * errors to a connected socket by its remote port too. */
		n = send(fd, payload, size - hdr, 0);
	} else {
		struct icmphdr ih = {.type = ICMP_ECHO};

		ih.un.echo.sequence = htons((unsigned short)ttl);
		memcpy(payload, &ih, sizeof(ih));
		n = send(fd, payload, size - 20, 0);
	}
	if (n < 0 && errno == EMSGSIZE) {
		int v = 0;
		socklen_t l = sizeof(v);

		getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &l);
		*mtu = (unsigned)v;
		return MC_ETOOBIG;
	}
	return n < 0 ? MC_EIO : 0;
}

/* Trace. */
int
trace_run(const struct trace_opts *o, struct trace_result *r, char *err,
          size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	socklen_t sl;
	int fd = -1, silent = 0, rc;
	unsigned size = 0;

	memset(r, 0, sizeof(*r));
	if (o->max_hops < 1 || o->max_hops > TRACE_HOPS_MAX) {
		snprintf(err, errlen, "--max-hops must be 1..%d",
		         TRACE_HOPS_MAX);
		return MC_EINVAL;
	}
	rc = probe_resolve(o->host, &ss, &sl, r->addr, sizeof(r->addr), err,
	                   errlen);
	if (rc != 0)
		return rc;
	if (ss.ss_family != AF_INET) {
		snprintf(err, errlen,
		         "trace: %s is not IPv4 (IPv6 is not built yet)",
		         r->addr);
		return MC_EINVAL;
	}
	memcpy(&sin, &ss, sizeof(sin));
	if (o->mode != TRACE_TCP) {
		int v = 0;
		socklen_t l = sizeof(v);

		if ((fd = open_dgram(o, &sin, err, errlen)) < 0)
			return fd;
		getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &l);
		size = v > 0 ? (unsigned)v : 1500;
		r->first_mtu = size;
	} else
		sin.sin_port = htons((uint16_t)o->port);
	for (int ttl = 1; ttl <= o->max_hops && r->nhops < TRACE_HOPS_MAX;
	     ttl++) {
		struct trace_hop *h = &r->hop[r->nhops];
		enum outcome out = O_SILENT;

		memset(h, 0, sizeof(*h));
		h->ttl = ttl;
		h->icmp_type = h->icmp_code = -1;
		if (o->mode == TRACE_TCP)
			out = probe_tcp(&sin, ttl, o->timeout_ms, r->addr, h,
			                &r->pmtu);
		else {
			/* Resend at the same TTL while the MTU shrinks. */
			for (int tries = 0; tries < 8; tries++) {
				unsigned mtu = 0;
				long long sent = now_us();

				rc = send_dgram(fd, o, &sin, ttl, size, &mtu);
				if (rc == MC_ETOOBIG && mtu > 0 && mtu < size) {
					size = mtu;
					continue;
				}
				out =
				    wait_dgram(fd, r->addr, o->timeout_ms, sent,
				               h, o->mode == TRACE_ICMP);
				if (out == O_MTU && h->mtu > 0 &&
				    h->mtu < size) {
					size = h->mtu;
					h->addr[0] = '\0';
					continue;
				}
				break;
			}
			if (size < r->first_mtu)
				h->mtu = size;
		}
		r->nhops++;
		if (out == O_SILENT) {
			h->silent = true;
			mc_strlcpy(h->what, "no answer", sizeof(h->what));
			if (++silent >= o->max_silent)
				break;
			continue;
		}
		silent = 0;
		r->last_ttl = ttl;
		mc_strlcpy(r->last_addr, h->addr, sizeof(r->last_addr));
		if (out == O_REACHED) {
			r->reached = true;
			break;
		}
		if (out == O_REJECTED) {
			r->rejected = true;
			break;
		}
		if (out == O_ERROR)
			break;
	}
	if (fd >= 0) {
		close(fd);
		r->pmtu = size;
	}
	if (r->reached)
		snprintf(r->summary, sizeof(r->summary),
		         "reached %s in %d hop%s", r->addr, r->last_ttl,
		         r->last_ttl == 1 ? "" : "s");
	else if (r->rejected)
		snprintf(r->summary, sizeof(r->summary),
		         "rejected at hop %d by %s (%s)", r->last_ttl,
		         r->last_addr, r->hop[r->nhops - 1].what);
	else if (o->mode == TRACE_TCP && r->last_ttl > 0)
		snprintf(r->summary, sizeof(r->summary),
		         "TCP port %u dies after hop %d (%s): nothing answers "
		         "beyond it",
		         o->port, r->last_ttl, r->last_addr);
	else if (r->last_ttl > 0)
		snprintf(r->summary, sizeof(r->summary),
		         "no answer beyond hop %d (%s)", r->last_ttl,
		         r->last_addr);
	else
		snprintf(
		    r->summary, sizeof(r->summary),
		    "no hop answered: the first router or a local firewall "
		    "drops the probes");
	return 0;
}
