/*
 * probe.h — what answers on each mail port of a host, all ports at once.
 *
 * probe_run() connects to every port in parallel (non-blocking sockets,
 * IP_RECVERR) and classifies each: open (a banner came), closed (RST),
 * filtered (no answer within the timeout), rejected (an ICMP unreachable or
 * administratively prohibited, with the address that sent it), or
 * tls-expected (silent until a TLS handshake succeeds).  For open SMTP,
 * POP3 and IMAP ports one thread per port reads capabilities, tries
 * STARTTLS, inspects the certificate and lists AUTH mechanisms; TCP_INFO
 * and IP_MTU give MSS, path MTU and receive window.  Everything ends by the
 * one deadline, so a filtered port costs one timeout, not one per port.
 * SMTP is spoken by the project's sans-I/O core (proto/smtp_client.h),
 * driven here by a blocking poll loop; with o->auth_user set, the core
 * also tries AUTH on o->auth_port (over TLS only) and the port records
 * whether the server accepted the credentials.
 *
 * Ownership: caller-owned arrays, fixed-size strings.  Errors: MC_EINVAL
 * (bad host or port list), MC_ENOHOST (name does not resolve).
 */
#ifndef MC_DIAG_PROBE_H
#define MC_DIAG_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag/tlsinfo.h"

#define PROBE_PORTS_MAX  32
#define PROBE_BANNER_MAX 256
#define PROBE_CAPS_MAX   512

/* X(name, label) */
#define PROBE_STATES(X)                                                        \
	X(PROBE_OPEN, "open")                                                  \
	X(PROBE_CLOSED, "closed")                                              \
	X(PROBE_FILTERED, "filtered")                                          \
	X(PROBE_REJECTED, "rejected")                                          \
	X(PROBE_TLS_EXPECTED, "tls-expected")                                  \
	X(PROBE_ERROR, "error")

enum probe_state {
#define PROBE_ST_ENUM(name, label) name,
	PROBE_STATES(PROBE_ST_ENUM)
#undef PROBE_ST_ENUM
};

enum probe_proto { PROBE_P_UNKNOWN, PROBE_P_SMTP, PROBE_P_POP3, PROBE_P_IMAP };

struct probe_port {
	unsigned port;
	enum probe_state state;
	unsigned connect_ms; /* SYN to established / to the answer */
	char detail[256];    /* one line for humans */
	/* rejected: */
	char icmp_from[INET6_ADDRSTRLEN];
	int icmp_type, icmp_code;
	/* open: */
	enum probe_proto proto;
	char banner[PROBE_BANNER_MAX];
	char caps[PROBE_CAPS_MAX];        /* capabilities, space-separated */
	char auth[PROBE_CAPS_MAX];        /* AUTH mechanisms (in clear) */
	char auth_tls[PROBE_CAPS_MAX];    /* after STARTTLS */
	bool starttls;                    /* offered */
	bool tls;                         /* a handshake was made */
	bool tls_stalled;                 /* handshake timed out */
	char error[256];                  /* why the conversation stopped */
	char seen_addr[INET6_ADDRSTRLEN]; /* from EHLO reply */
	struct tls_info cert;
	/* AUTH with the credentials of probe_opts (auth_port only): */
	bool auth_tried;      /* the session got as far as it could */
	bool auth_ok;         /* 235 */
	int auth_code;        /* the reply that decided; 0: no reply did */
	char auth_mech[16];   /* the SASL mechanism used, or "" */
	char auth_reply[256]; /* the server's text, or why AUTH was not sent */
	/* TCP_INFO / IP_MTU */
	unsigned mss, advmss, pmtu, rcv_wnd;
	bool mss_ok; /* mss <= pmtu - 40 */
};

struct probe_opts {
	const char *host; /* name or address */
	unsigned ports[PROBE_PORTS_MAX];
	size_t nports;
	int timeout_ms;      /* the whole probe's deadline */
	int banner_ms;       /* silence before trying TLS */
	bool app;            /* talk SMTP/POP3/IMAP/TLS */
	const char *ehlo;    /* EHLO name */
	const char *ca_file; /* trust anchors instead of the system's */
	unsigned tls_port;   /* also speak TLS first on this port (0: none) */
	/* Credentials to try on auth_port (AUTH over TLS only), or NULL. */
	unsigned auth_port;
	const char *auth_user;
	const char *auth_secret; /* borrowed; the caller wipes it */
};

/* 25,587,465,110,995,143,993 and sane timeouts. */
void probe_opts_default(struct probe_opts *o);
/* Parse "25,587,1000-1002"; 0 or MC_EINVAL (text in err). */
int probe_parse_ports(const char *list, struct probe_opts *o, char *err,
                      size_t errlen);
/* Run; out has o->nports entries in the order of o->ports. */
int probe_run(const struct probe_opts *o, struct probe_port *out, char *err,
              size_t errlen);
const char *probe_state_name(enum probe_state s);
const char *probe_proto_name(enum probe_proto p);
/* Resolve host to one address (numeric first, then getaddrinfo). */
int probe_resolve(const char *host, struct sockaddr_storage *ss, socklen_t *sl,
                  char *addr, size_t addrlen, char *err, size_t errlen);

#endif
