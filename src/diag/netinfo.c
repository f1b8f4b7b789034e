/*
 * netinfo.c — links, addresses, routes and neighbours through libnl-route-3.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "diag/netinfo.h"

#define RESOLV_MAX 65536 /* bytes of resolv.conf read */

/* Text of the address bytes of an nl_addr (no prefix length). */
static void
nladdr_str(struct nl_addr *a, char *out, size_t len)
{
	out[0] = '\0';
	if (a == NULL || nl_addr_get_len(a) == 0)
		return;
	inet_ntop(nl_addr_get_family(a), nl_addr_get_binary_addr(a), out,
	          (socklen_t)len);
}

/* The link of an ifindex in ni, or NULL. */
static struct ni_link *
find_link(struct netinfo *ni, int ifindex)
{
	for (size_t i = 0; i < ni->nlink; i++)
		if (ni->link[i].ifindex == ifindex)
			return &ni->link[i];
	return NULL;
}

/* Fill the links. */
static void
read_links(struct netinfo *ni, struct nl_cache *cache)
{
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct nl_addr *mac = rtnl_link_get_addr(l);
		struct ni_link *nl;

		if (ni->nlink >= NI_LINK_MAX) {
			ni->truncated++;
			continue;
		}
		nl = &ni->link[ni->nlink++];
		memset(nl, 0, sizeof(*nl));
		mc_strlcpy(nl->name, rtnl_link_get_name(l) ?: "?",
		           sizeof(nl->name));
		nl->ifindex = rtnl_link_get_ifindex(l);
		nl->mtu = rtnl_link_get_mtu(l);
		nl->up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
		if (mac != NULL && nl_addr_get_len(mac) == 6) {
			const unsigned char *m = nl_addr_get_binary_addr(mac);

			snprintf(nl->mac, sizeof(nl->mac),
			         "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			         m[2], m[3], m[4], m[5]);
		}
	}
}

/* Attach addresses to their links. */
static void
read_addrs(struct netinfo *ni, struct nl_cache *cache)
{
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct ni_link *l = find_link(ni, rtnl_addr_get_ifindex(a));
		struct ni_addr *na;

		if (l == NULL)
			continue;
		if (l->naddr >= NI_ADDR_MAX) {
			ni->truncated++;
			continue;
		}
		na = &l->addr[l->naddr++];
		na->family = rtnl_addr_get_family(a);
		nladdr_str(rtnl_addr_get_local(a), na->addr, sizeof(na->addr));
		na->prefixlen = rtnl_addr_get_prefixlen(a);
		na->cls = addr_classify(na->addr);
	}
}

/* The main table's routes; remember the IPv4 default gateway. */
static void
read_routes(struct netinfo *ni, struct nl_cache *cache)
{
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		struct rtnl_nexthop *nh;
		struct ni_route *nr;
		struct ni_link *l;
		char a[NI_ADDRSTR];

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST)
			continue;
		if (ni->nroute >= NI_ROUTE_MAX) {
			ni->truncated++;
			continue;
		}
		nr = &ni->route[ni->nroute++];
		memset(nr, 0, sizeof(*nr));
		nr->family = rtnl_route_get_family(r);
		nr->metric = rtnl_route_get_priority(r);
		if (dst == NULL || nl_addr_get_prefixlen(dst) == 0)
			mc_strlcpy(nr->dst, "default", sizeof(nr->dst));
		else {
			nladdr_str(dst, a, sizeof(a));
			snprintf(nr->dst, sizeof(nr->dst), "%s/%u", a,
			         nl_addr_get_prefixlen(dst));
		}
		if (rtnl_route_get_nnexthops(r) > 0) {
			nh = rtnl_route_nexthop_n(r, 0);
			nladdr_str(rtnl_route_nh_get_gateway(nh), nr->gw,
			           sizeof(nr->gw));
			l = find_link(ni, rtnl_route_nh_get_ifindex(nh));
			if (l != NULL)
				mc_strlcpy(nr->dev, l->name, sizeof(nr->dev));
		}
		if (nr->family == AF_INET && strcmp(nr->dst, "default") == 0 &&
		    ni->gw[0] == '\0' && nr->gw[0] != '\0') {
			mc_strlcpy(ni->gw, nr->gw, sizeof(ni->gw));
			mc_strlcpy(ni->gw_dev, nr->dev, sizeof(ni->gw_dev));
		}
	}
}

/* Look the gateway up in the neighbour table; true when a MAC is known. */
static bool
read_gw_neigh(struct netinfo *ni, struct nl_sock *sk)
{
	struct nl_cache *cache = NULL;
	struct ni_link *l = NULL;
	bool found = false;

	if (rtnl_neigh_alloc_cache(sk, &cache) < 0)
		return false;
	for (size_t i = 0; i < ni->nlink; i++)
		if (strcmp(ni->link[i].name, ni->gw_dev) == 0)
			l = &ni->link[i];
	for (struct nl_object *o = nl_cache_get_first(cache); o && l;
	     o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;
		struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
		char a[NI_ADDRSTR];

		if (rtnl_neigh_get_ifindex(n) != l->ifindex)
			continue;
		nladdr_str(rtnl_neigh_get_dst(n), a, sizeof(a));
		if (strcmp(a, ni->gw) != 0)
			continue;
		rtnl_neigh_state2str(rtnl_neigh_get_state(n), ni->gw_state,
		                     sizeof(ni->gw_state));
		if (ll != NULL && nl_addr_get_len(ll) == 6) {
			const unsigned char *m = nl_addr_get_binary_addr(ll);

			snprintf(ni->gw_mac, sizeof(ni->gw_mac),
			         "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			         m[2], m[3], m[4], m[5]);
			found = true;
		}
	}
	nl_cache_free(cache);
	return found;
}

/* Send one datagram to the gateway so that the kernel resolves its MAC. */
static void
nudge_gateway(const char *gw)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
	int fd;

	if (inet_pton(AF_INET, gw, &sin.sin_addr) != 1)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sin,
	             sizeof(sin));
	close(fd);
}

/* Nameserver lines of a resolv.conf text. */
size_t
netinfo_parse_resolv(const char *text, char out[][NI_ADDRSTR], size_t max)
{
	size_t n = 0;
	const char *p = text;

	while (p != NULL && *p != '\0' && n < max) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], addr[NI_ADDRSTR + 8];

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (sscanf(line, " nameserver %53s", addr) == 1) {
				unsigned char b[16];

				if (inet_pton(AF_INET, addr, b) == 1 ||
				    inet_pton(AF_INET6, addr, b) == 1)
					mc_strlcpy(out[n++], addr, NI_ADDRSTR);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return n;
}

/* Read resolv.conf. */
static void
read_resolv(struct netinfo *ni, const char *path)
{
	FILE *fp = fopen(path ? path : "/etc/resolv.conf", "r");
	char *text;
	size_t n;

	if (fp == NULL)
		return;
	text = malloc(RESOLV_MAX + 1);
	if (text != NULL) {
		n = fread(text, 1, RESOLV_MAX, fp);
		text[n] = '\0';
		ni->ndns = netinfo_parse_resolv(text, ni->dns, NI_DNS_MAX);
		free(text);
	}
	fclose(fp);
}

/* Collect the machine's network view. */
int
netinfo_collect(struct netinfo *ni, const char *resolv_conf, char *err,
                size_t errlen)
{
	struct nl_sock *sk;
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	int rc = 0;

	memset(ni, 0, sizeof(*ni));
	sk = nl_socket_alloc();
	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0) {
		snprintf(err, errlen, "netlink: cannot open a route socket");
		rc = MC_EIO;
		goto done;
	}
	if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0 ||
	    rtnl_addr_alloc_cache(sk, &addrs) < 0 ||
	    rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes) < 0) {
		snprintf(err, errlen,
		         "netlink: cannot read links, addresses "
		         "or routes");
		rc = MC_EIO;
		goto done;
	}
	read_links(ni, links);
	read_addrs(ni, addrs);
	read_routes(ni, routes);
	if (ni->gw[0] != '\0' && !read_gw_neigh(ni, sk)) {
		nudge_gateway(ni->gw);
		for (int i = 0; i < 20 && !read_gw_neigh(ni, sk); i++)
			usleep(50 * 1000);
	}
	read_resolv(ni, resolv_conf);
done:
	if (links)
		nl_cache_free(links);
	if (addrs)
		nl_cache_free(addrs);
	if (routes)
		nl_cache_free(routes);
	if (sk)
		nl_socket_free(sk);
	return rc;
}

/* Source address and MTU towards host. */
int
netinfo_route_to(const char *host, char *src, size_t srclen, unsigned *mtu,
                 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, family, v = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(9);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host,
	                     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(9);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(err, errlen, "'%s' is not an address", host);
		return MC_EINVAL;
	}
	ss.ss_family = (sa_family_t)family;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, errlen, "no route to %s: %s", host,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return MC_ECONN;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, src,
		          (socklen_t)srclen);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		          src, (socklen_t)srclen);
	sl = sizeof(v);
	if (getsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	               family == AF_INET ? IP_MTU : IPV6_MTU, &v, &sl) != 0)
		v = 0;
	*mtu = (unsigned)v;
	close(fd);
	return 0;
}
