/*
 * doctor.h — why isn't mail going out?  Facts from every layer, one verdict.
 *
 * doctor_run() gathers, in parallel threads and within one probe timeout:
 * netinfo and the route to the relay, a port probe of the relay host, a
 * TCP trace to port 25, a ping, and the DNS checks of the domain and the
 * sending address.  doctor_judge() (pure, unit-tested) applies the rules in
 * priority order and produces findings, each with a stable identifier
 * (documented in docs/doctor.md), a class that decides the exit code, the
 * evidence and the fix; the first problem found is the root cause.
 * With auth_user, the probe of the relay's port logs in through the SMTP
 * core (over TLS only) and the rules say whether the credentials work.
 *
 * Ownership: struct doctor_facts and struct doctor_report are large and
 * caller-owned (allocate them statically or on the heap).
 */
#ifndef MC_DIAG_DOCTOR_H
#define MC_DIAG_DOCTOR_H

#include <stdbool.h>

#include "diag/dnscheck.h"
#include "diag/netinfo.h"
#include "diag/ping.h"
#include "diag/probe.h"
#include "diag/trace.h"

#define DOCTOR_FINDINGS_MAX 32

/* X(name, word, sysexit) */
#define DOCTOR_CLASSES(X)                                                      \
	X(DOC_OK, "ok", 0)                                                     \
	X(DOC_NETWORK, "network", 69)                                          \
	X(DOC_TLS, "tls", 76)                                                  \
	X(DOC_AUTH, "auth", 77)                                                \
	X(DOC_DNS_SERVER, "dns-server", 75)                                    \
	X(DOC_DNS_RECORDS, "dns-records", 65)                                  \
	X(DOC_REPUTATION, "reputation", 77)                                    \
	X(DOC_CONFIG, "config", 78)

enum doctor_class {
#define DOC_CL_ENUM(name, word, ex) name,
	DOCTOR_CLASSES(DOC_CL_ENUM)
#undef DOC_CL_ENUM
};

enum doctor_severity { DOC_PROBLEM, DOC_WARNING, DOC_INFO };

enum doctor_tls_mode { DOC_TLS_AUTO, DOC_TLS_STARTTLS, DOC_TLS_IMPLICIT };

struct doctor_opts {
	const char *relay_host; /* NULL: direct delivery */
	unsigned relay_port;
	enum doctor_tls_mode tls;
	const char *domain;
	const char *ip; /* the public sending address */
	const char *selector;
	const char *dns_server; /* "ADDR:PORT" or NULL (system) */
	const char *dnsbl[DC_DNSBL_MAX];
	size_t ndnsbl;
	const char *mailbox_host; /* from --mailbox URL */
	unsigned mailbox_port;
	const char *auth_user;   /* try AUTH on the relay port, or NULL */
	const char *auth_secret; /* borrowed; the caller wipes it */
	struct probe_opts probe; /* ports, timeout */
	bool no_trace, no_ping;
};

struct doctor_facts {
	struct netinfo ni;
	bool ni_ok;
	char src_addr[46]; /* towards the relay */
	unsigned out_mtu;
	bool probed;
	char probe_err[256];
	size_t nports;
	struct probe_port port[PROBE_PORTS_MAX];
	bool traced;
	struct trace_opts trace_o;
	struct trace_result trace;
	bool pinged;
	struct ping_result ping;
	char ping_err[256];
	bool dns_checked;
	struct dnscheck dns;
	char dns_err[128];
	unsigned elapsed_ms;
};

struct doctor_finding {
	const char *id;
	enum doctor_class cls;
	enum doctor_severity sev;
	char summary[256];
	char evidence[512];
	char fix[256];
};

struct doctor_report {
	size_t n;
	struct doctor_finding f[DOCTOR_FINDINGS_MAX];
	int root; /* index of the root cause, -1 none */
};

void doctor_opts_default(struct doctor_opts *o);
/* Gather the facts (network, probes, DNS) in parallel. */
void doctor_gather(const struct doctor_opts *o, struct doctor_facts *f);
/* Apply the rules. */
void doctor_judge(const struct doctor_opts *o, const struct doctor_facts *f,
                  struct doctor_report *r);
const char *doctor_class_name(enum doctor_class c);
int doctor_class_exit(enum doctor_class c);
const char *doctor_severity_name(enum doctor_severity s);

#endif
