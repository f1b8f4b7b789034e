/*
 * addrclass.c — label addresses by their special-purpose ranges.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "diag/addrclass.h"

/* Classify an IPv4 address in host order. */
static enum addr_class
classify4(uint32_t a)
{
	if (a == 0)
		return ADDR_UNSPEC;
	if ((a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) ||
	    (a >> 16) == (192u << 8 | 168))
		return ADDR_PRIVATE;
	if ((a >> 22) == ((100u << 2) | 1))
		return ADDR_CGNAT;
	if ((a >> 16) == (169u << 8 | 254))
		return ADDR_LINKLOCAL;
	if ((a >> 24) == 127)
		return ADDR_LOOPBACK;
	if ((a >> 28) == 0xe)
		return ADDR_MULTICAST;
	return ADDR_PUBLIC;
}

/* Classify a textual address. */
enum addr_class
addr_classify(const char *addr)
{
	struct in_addr in4;
	struct in6_addr in6;

	if (inet_pton(AF_INET, addr, &in4) == 1)
		return classify4(ntohl(in4.s_addr));
	if (inet_pton(AF_INET6, addr, &in6) != 1)
		return ADDR_INVALID;
	if (IN6_IS_ADDR_UNSPECIFIED(&in6))
		return ADDR_UNSPEC;
	if (IN6_IS_ADDR_LOOPBACK(&in6))
		return ADDR_LOOPBACK;
	if (IN6_IS_ADDR_V4MAPPED(&in6)) {
		uint32_t a;

		memcpy(&a, &in6.s6_addr[12], 4);
		return classify4(ntohl(a));
	}
	if (IN6_IS_ADDR_LINKLOCAL(&in6))
		return ADDR_LINKLOCAL;
	if (IN6_IS_ADDR_MULTICAST(&in6))
		return ADDR_MULTICAST;
	if ((in6.s6_addr[0] & 0xfe) == 0xfc)
		return ADDR_PRIVATE;
	return ADDR_PUBLIC;
}

/* The label of a class. */
const char *
addr_class_name(enum addr_class c)
{
	switch (c) {
	case ADDR_PUBLIC:
		return "public";
	case ADDR_PRIVATE:
		return "private";
	case ADDR_CGNAT:
		return "CGNAT";
	case ADDR_LINKLOCAL:
		return "link-local";
	case ADDR_LOOPBACK:
		return "loopback";
	case ADDR_MULTICAST:
		return "multicast";
	case ADDR_UNSPEC:
		return "unspecified";
	case ADDR_INVALID:
		break;
	}
	return "invalid";
}

/* Is an address of this class translated on the way out? */
bool
addr_is_natted(enum addr_class c)
{
	return c == ADDR_PRIVATE || c == ADDR_CGNAT;
}
