/*
 * icmperr.c — read the socket error queue (IP_RECVERR).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/socket.h>

#include "base/error.h"
#include "diag/icmperr.h"

/* Enable error-queue reporting. */
int
icmperr_enable(int fd, int family)
{
	int on = 1;

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on,
		               sizeof(on)) != 0)
			return MC_EIO;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
		                 sizeof(on));
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) != 0)
		return MC_EIO;
	(void)setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	return 0;
}

/* Take one entry off the error queue. */
int
icmperr_read(int fd, struct icmperr *out)
{
	char cbuf[512], data[512];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	struct sockaddr_storage name;
	struct msghdr m = {
	    .msg_name = &name,
	    .msg_namelen = sizeof(name),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf,
	    .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	bool got = false;

	memset(out, 0, sizeof(*out));
	out->ttl = -1;
	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? MC_EAGAIN
		                                               : MC_EIO;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if ((c->cmsg_level == IPPROTO_IP &&
		     c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		     c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			struct sockaddr_storage off;

			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			out->err = (int)ee.ee_errno;
			out->origin = ee.ee_origin;
			out->type = ee.ee_type;
			out->code = ee.ee_code;
			out->info = ee.ee_info;
			memcpy(&off,
			       SO_EE_OFFENDER(
			           (struct sock_extended_err *)CMSG_DATA(c)),
			       sizeof(struct sockaddr_in6));
			if (off.ss_family == AF_INET)
				inet_ntop(
				    AF_INET,
				    &((struct sockaddr_in *)&off)->sin_addr,
				    out->from, sizeof(out->from));
			else if (off.ss_family == AF_INET6)
				inet_ntop(
				    AF_INET6,
				    &((struct sockaddr_in6 *)&off)->sin6_addr,
				    out->from, sizeof(out->from));
			got = true;
		} else if (c->cmsg_level == IPPROTO_IP &&
		           c->cmsg_type == IP_TTL) {
			memcpy(&out->ttl, CMSG_DATA(c), sizeof(int));
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		           c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&out->ttl, CMSG_DATA(c), sizeof(int));
		}
	}
	return got ? 0 : MC_EIO;
}

/* Words for an ICMP type and code. */
const char *
icmperr_describe(int family, int type, int code)
{
	if (family == AF_INET6) {
		switch (type) {
		case ICMP6_DST_UNREACH:
			switch (code) {
			case ICMP6_DST_UNREACH_NOROUTE:
				return "no route to destination";
			case ICMP6_DST_UNREACH_ADMIN:
				return "administratively prohibited";
			case ICMP6_DST_UNREACH_ADDR:
				return "address unreachable";
			case ICMP6_DST_UNREACH_NOPORT:
				return "port unreachable";
			default:
				return "destination unreachable";
			}
		case ICMP6_PACKET_TOO_BIG:
			return "packet too big";
		case ICMP6_TIME_EXCEEDED:
			return "time exceeded";
		default:
			return "ICMPv6 error";
		}
	}
	switch (type) {
	case ICMP_DEST_UNREACH:
		switch (code) {
		case ICMP_NET_UNREACH:
			return "network unreachable";
		case ICMP_HOST_UNREACH:
			return "host unreachable";
		case ICMP_PROT_UNREACH:
			return "protocol unreachable";
		case ICMP_PORT_UNREACH:
			return "port unreachable";
		case ICMP_FRAG_NEEDED:
			return "fragmentation needed";
		case ICMP_NET_ANO:
		case ICMP_HOST_ANO:
		case ICMP_PKT_FILTERED:
			return "administratively prohibited";
		case ICMP_PREC_CUTOFF:
		case ICMP_PREC_VIOLATION:
			return "precedence violation";
		default:
			return "destination unreachable";
		}
	case ICMP_TIME_EXCEEDED:
		return "time exceeded";
	case ICMP_SOURCE_QUENCH:
		return "source quench";
	case ICMP_PARAMETERPROB:
		return "parameter problem";
	case ICMP_REDIRECT:
		return "redirect";
	default:
		return "ICMP error";
	}
}

/* An unreachable/prohibited, as opposed to a time exceeded. */
bool
icmperr_is_unreach(const struct icmperr *e)
{
	if (e->origin == SO_EE_ORIGIN_ICMP)
		return e->type == ICMP_DEST_UNREACH;
	if (e->origin == SO_EE_ORIGIN_ICMP6)
		return e->type == ICMP6_DST_UNREACH;
	return false;
}
