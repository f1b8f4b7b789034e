/*
 * doctor.c — gather facts in parallel, then reason from them.
 *
 * The rules run in a fixed order, most fundamental first (the DNS server,
 * the network path, the relay's port, TLS, then records and reputation), so
 * the first problem is the one to fix first: a certificate does not matter
 * while the port is blocked.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/str.h"
#include "diag/doctor.h"

static const char *const class_names[] = {
#define DOC_CL_NAME(name, word, ex) word,
    DOCTOR_CLASSES(DOC_CL_NAME)
#undef DOC_CL_NAME
};

static const int class_exits[] = {
#define DOC_CL_EXIT(name, word, ex) ex,
    DOCTOR_CLASSES(DOC_CL_EXIT)
#undef DOC_CL_EXIT
};

/* The word of a class. */
const char *
doctor_class_name(enum doctor_class c)
{
	return (size_t)c < sizeof(class_names) / sizeof(class_names[0])
	           ? class_names[c]
	           : "?";
}

/* The exit status of a class. */
int
doctor_class_exit(enum doctor_class c)
{
	return (size_t)c < sizeof(class_exits) / sizeof(class_exits[0])
	           ? class_exits[c]
	           : 70;
}

/* The word of a severity. */
const char *
doctor_severity_name(enum doctor_severity s)
{
	return s == DOC_PROBLEM   ? "problem"
	       : s == DOC_WARNING ? "warning"
	                          : "info";
}

/* Defaults: the seven mail ports, 3 s. */
void
doctor_opts_default(struct doctor_opts *o)
{
	memset(o, 0, sizeof(*o));
	probe_opts_default(&o->probe);
	o->relay_port = 587;
}

/* Milliseconds of the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct gather {
	const struct doctor_opts *o;
	struct doctor_facts *f;
};

/* Thread: netinfo and the route towards the relay. */
static void *
t_netinfo(void *arg)
{
	struct gather *g = arg;
	char err[256];

	g->f->ni_ok = netinfo_collect(&g->f->ni, NULL, err, sizeof(err)) == 0;
	return NULL;
}

/* Thread: the port probe of the relay host. */
static void *
t_probe(void *arg)
{
	struct gather *g = arg;
	struct probe_opts po = g->o->probe;

	po.host = g->o->relay_host;
	if (g->o->tls == DOC_TLS_IMPLICIT)
		po.tls_port = g->o->relay_port;
	if (g->o->auth_user != NULL) {
		po.auth_port = g->o->relay_port;
		po.auth_user = g->o->auth_user;
		po.auth_secret = g->o->auth_secret;
	}
	g->f->probed = probe_run(&po, g->f->port, g->f->probe_err,
	                         sizeof(g->f->probe_err)) == 0;
	g->f->nports = po.nports;
	return NULL;
}

/* Thread: where does TCP port 25 die? */
static void *
t_trace(void *arg)
{
	struct gather *g = arg;
	char err[256];
	int per = g->o->probe.timeout_ms / 4;

	trace_opts_default(&g->f->trace_o);
	g->f->trace_o.host = g->o->relay_host;
	g->f->trace_o.mode = TRACE_TCP;
	g->f->trace_o.port = 25;
	g->f->trace_o.timeout_ms = per > 500 ? 500 : per < 100 ? 100 : per;
	g->f->trace_o.max_silent = 2;
	g->f->trace_o.max_hops = 16;
	g->f->traced =
	    trace_run(&g->f->trace_o, &g->f->trace, err, sizeof(err)) == 0;
	return NULL;
}

/* Thread: a short ping. */
static void *
t_ping(void *arg)
{
	struct gather *g = arg;
	struct ping_opts po;

	ping_opts_default(&po);
	po.host = g->o->relay_host;
	po.count = 3;
	po.interval_ms = 200;
	po.timeout_ms = 500;
	g->f->pinged = ping_run(&po, &g->f->ping, g->f->ping_err,
	                        sizeof(g->f->ping_err)) == 0;
	return NULL;
}

/* Thread: the DNS checks. */
static void *
t_dns(void *arg)
{
	struct gather *g = arg;
	struct dns_resolver *r = NULL;
	struct dnscheck_opts dco;
	int tmo = g->o->probe.timeout_ms / 2;

	if (dns_cares_new(g->o->dns_server, tmo > 0 ? tmo : 1000, 1, &r,
	                  g->f->dns_err, sizeof(g->f->dns_err)) != 0)
		return NULL;
	memset(&dco, 0, sizeof(dco));
	dco.domain = g->o->domain;
	dco.ip = g->o->ip;
	dco.selector = g->o->selector;
	for (size_t i = 0; i < g->o->ndnsbl; i++)
		dco.dnsbl[i] = g->o->dnsbl[i];
	dco.ndnsbl = g->o->ndnsbl;
	dnscheck_run(r, &dco, &g->f->dns);
	g->f->dns_checked = true;
	dns_resolver_free(r);
	return NULL;
}

/* Gather everything in parallel. */
void
doctor_gather(const struct doctor_opts *o, struct doctor_facts *f)
{
	struct gather g = {.o = o, .f = f};
	pthread_t t[5];
	bool on[5] = {false};
	long long start = now_ms();
	char err[256];

	memset(f, 0, sizeof(*f));
	on[0] = pthread_create(&t[0], NULL, t_netinfo, &g) == 0;
	if (o->relay_host != NULL) {
		on[1] = pthread_create(&t[1], NULL, t_probe, &g) == 0;
		if (!o->no_trace)
			on[2] = pthread_create(&t[2], NULL, t_trace, &g) == 0;
		if (!o->no_ping)
			on[3] = pthread_create(&t[3], NULL, t_ping, &g) == 0;
	}
	if (o->domain != NULL || o->ip != NULL)
		on[4] = pthread_create(&t[4], NULL, t_dns, &g) == 0;
	for (int i = 0; i < 5; i++)
		if (on[i])
			pthread_join(t[i], NULL);
	if (o->relay_host != NULL && f->probed) {
		/* The probe resolved the host; route to its address. */
		char a[46];
		struct sockaddr_storage ss;
		socklen_t sl;

		if (probe_resolve(o->relay_host, &ss, &sl, a, sizeof(a), err,
		                  sizeof(err)) == 0)
			netinfo_route_to(a, f->src_addr, sizeof(f->src_addr),
			                 &f->out_mtu, err, sizeof(err));
	} else
		netinfo_route_to("192.0.2.1", f->src_addr, sizeof(f->src_addr),
		                 &f->out_mtu, err, sizeof(err));
	f->elapsed_ms = (unsigned)(now_ms() - start);
}

/* Add a finding. */
static struct doctor_finding *
add(struct doctor_report *r, const char *id, enum doctor_class cls,
    enum doctor_severity sev)
{
	struct doctor_finding *d;

	if (r->n >= DOCTOR_FINDINGS_MAX)
		return NULL;
	d = &r->f[r->n++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->cls = cls;
	d->sev = sev;
	if (sev == DOC_PROBLEM && r->root < 0)
		r->root = (int)(r->n - 1);
	return d;
}

/* printf into a finding field. */
static void set(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* printf into a finding field. */
static void
set(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

#define SET(field, ...) set(field, sizeof(field), __VA_ARGS__)

/* The probed port p, or NULL. */
static const struct probe_port *
port_of(const struct doctor_facts *f, unsigned p)
{
	for (size_t i = 0; i < f->nports; i++)
		if (f->port[i].port == p)
			return &f->port[i];
	return NULL;
}

/* Is the port usable (open or TLS)? */
static bool
usable(const struct probe_port *p)
{
	return p != NULL &&
	       (p->state == PROBE_OPEN || p->state == PROBE_TLS_EXPECTED);
}

/* The port's state in words, with the ICMP sender for rejections. */
static void
port_words(const struct probe_port *p, char *out, size_t len)
{
	/* Truncation is fine here: it is a line of a report. */
	if (p->state == PROBE_REJECTED && p->icmp_from[0]) {
		if (snprintf(out, len, "%u rejected by %s (%s)", p->port,
		             p->icmp_from, p->detail) >= (int)len)
			out[len - 1] = '\0';
	} else
		snprintf(out, len, "%u %s", p->port,
		         probe_state_name(p->state));
}

/* Network rules: everything filtered, port 25 blocked, relay port. */
static void
judge_network(const struct doctor_opts *o, const struct doctor_facts *f,
              struct doctor_report *r)
{
	const struct probe_port *p25 = port_of(f, 25), *p587 = port_of(f, 587),
	                        *p465 = port_of(f, 465),
	                        *relay = port_of(f, o->relay_port);
	struct doctor_finding *d;
	size_t filtered = 0, usable_n = 0;
	char w[300];

	for (size_t i = 0; i < f->nports; i++) {
		if (f->port[i].state == PROBE_FILTERED)
			filtered++;
		if (usable(&f->port[i]))
			usable_n++;
	}
	if (f->nports > 0 && filtered == f->nports &&
	    (d = add(r, "all-filtered", DOC_NETWORK, DOC_PROBLEM))) {
		SET(d->summary, "no port of %s answers at all", o->relay_host);
		if (f->traced && f->trace.last_ttl > 0)
			SET(d->evidence,
			    "all %zu ports filtered (no answer in %d ms); "
			    "trace: %s",
			    f->nports, o->probe.timeout_ms, f->trace.summary);
		else
			SET(d->evidence,
			    "all %zu ports filtered (no answer in %d ms); no "
			    "hop answered a trace either",
			    f->nports, o->probe.timeout_ms);
		SET(d->fix, "a firewall on the way drops everything, or there "
		            "is no route: check the local firewall, then the "
		            "router named in the trace");
		return;
	}
	if (p25 != NULL && !usable(p25) && (usable(p587) || usable(p465)) &&
	    (d = add(r, "port25-blocked", DOC_NETWORK, DOC_PROBLEM))) {
		const struct probe_port *alt = usable(p587) ? p587 : p465;

		port_words(p25, w, sizeof(w));
		SET(d->summary,
		    "outbound port 25 is blocked on your network; "
		    "port %u works",
		    alt->port);
		SET(d->evidence, "port %s while %u is %s%s%s", w, alt->port,
		    probe_state_name(alt->state),
		    f->traced && !f->trace.reached && f->trace.last_ttl > 0
		        ? "; trace: "
		        : "",
		    f->traced && !f->trace.reached && f->trace.last_ttl > 0
		        ? f->trace.summary
		        : "");
		SET(d->fix,
		    "send through your provider's relay on port %u "
		    "(submission, %s with AUTH) instead of port 25",
		    alt->port, alt->port == 465 ? "implicit TLS" : "STARTTLS");
	}
	if (relay != NULL && !usable(relay) && o->relay_port != 25 &&
	    (d = add(r, "relay-port-unreachable", DOC_NETWORK, DOC_PROBLEM))) {
		port_words(relay, w, sizeof(w));
		SET(d->summary, "the relay's port %u cannot be reached",
		    o->relay_port);
		SET(d->evidence, "port %s (%s)", w, relay->detail);
		SET(d->fix, "%s",
		    usable_n > 0 ? "use one of the ports that answer, "
		                   "or ask whoever runs the firewall to "
		                   "open it"
		                 : "check the relay's address and the "
		                   "firewalls on the way");
	}
	for (size_t i = 0; i < f->nports; i++) {
		const struct probe_port *p = &f->port[i];

		if (p->state == PROBE_REJECTED && p->icmp_from[0] &&
		    (d = add(r, "port-rejected-icmp", DOC_NETWORK, DOC_INFO))) {
			SET(d->summary, "port %u is refused by %s", p->port,
			    p->icmp_from);
			SET(d->evidence, "%s", p->detail);
			SET(d->fix,
			    "the router %s filters port %u; ask its "
			    "owner, or use another port",
			    p->icmp_from, p->port);
		}
	}
}

/* The credentials tried on the relay port (--auth-user). */
static void
judge_auth(const struct doctor_opts *o, const struct probe_port *p,
           struct doctor_report *r)
{
	struct doctor_finding *d;

	if (o->auth_user == NULL || !p->auth_tried)
		return;
	if (p->auth_ok && (d = add(r, "auth-ok", DOC_AUTH, DOC_INFO))) {
		SET(d->summary, "the relay accepts the credentials of %s",
		    o->auth_user);
		SET(d->evidence, "AUTH %s over %s on port %u: 235",
		    p->auth_mech[0] ? p->auth_mech : "?",
		    p->cert.version[0] ? p->cert.version : "TLS", p->port);
		SET(d->fix, "nothing to do");
	} else if (p->auth_code >= 500 &&
	           (d = add(r, "auth-rejected", DOC_AUTH, DOC_PROBLEM))) {
		SET(d->summary, "the relay rejects the credentials of %s",
		    o->auth_user);
		SET(d->evidence, "AUTH %s on port %u: %s",
		    p->auth_mech[0] ? p->auth_mech : "?", p->port,
		    p->auth_reply);
		SET(d->fix, "check the user name and the password "
		            "(--auth-password-file or MAILCAST_AUTH_PASSWORD); "
		            "many providers want an application password or "
		            "the whole address as the user name");
	} else if (!p->auth_ok &&
	           (d = add(r, "auth-failed", DOC_AUTH, DOC_PROBLEM))) {
		SET(d->summary, "logging in to the relay as %s did not work",
		    o->auth_user);
		SET(d->evidence, "port %u: %s", p->port, p->auth_reply);
		SET(d->fix, "%s",
		    p->auth_code >= 400
		        ? "the server failed temporarily: try again later"
		        : "see the evidence: the relay must offer AUTH over "
		          "TLS (STARTTLS or implicit TLS)");
	}
}

/* TLS rules on the relay port. */
static void
judge_tls(const struct doctor_opts *o, const struct doctor_facts *f,
          struct doctor_report *r)
{
	const struct probe_port *p = port_of(f, o->relay_port);
	struct doctor_finding *d;

	if (!usable(p))
		return;
	if (p->state == PROBE_TLS_EXPECTED && o->tls == DOC_TLS_STARTTLS &&
	    (d = add(r, "tls-implicit-expected", DOC_CONFIG, DOC_PROBLEM))) {
		SET(d->summary,
		    "port %u expects TLS from the first byte, but "
		    "STARTTLS is configured",
		    p->port);
		SET(d->evidence, "%s", p->detail);
		SET(d->fix, "set the relay's TLS mode to implicit (port 465 "
		            "style), or use port 587 with STARTTLS");
	}
	if (p->state == PROBE_OPEN && o->tls == DOC_TLS_IMPLICIT &&
	    (d = add(r, "starttls-expected", DOC_CONFIG, DOC_PROBLEM))) {
		SET(d->summary,
		    "port %u speaks in clear first (STARTTLS), but "
		    "implicit TLS is configured",
		    p->port);
		SET(d->evidence, "%s", p->detail);
		SET(d->fix, "set the relay's TLS mode to STARTTLS");
	}
	if (p->state == PROBE_OPEN && !p->starttls && !p->tls &&
	    p->proto != PROBE_P_UNKNOWN &&
	    (d = add(r, "starttls-missing", DOC_TLS, DOC_PROBLEM))) {
		SET(d->summary, "the relay on port %u does not offer STARTTLS",
		    p->port);
		SET(d->evidence, "capabilities: %s", p->caps);
		SET(d->fix, "use the relay's TLS port (465) or another relay; "
		            "never send a password in clear");
	}
	if (p->tls_stalled &&
	    (d = add(r, "mtu-blackhole", DOC_NETWORK, DOC_PROBLEM))) {
		SET(d->summary, "the TLS handshake stalls after the connection "
		                "works: an MTU black hole");
		SET(d->evidence,
		    "port %u connected (mss %u, path mtu %u) but "
		    "the server's large TLS records never came",
		    p->port, p->mss, p->pmtu);
		SET(d->fix, "lower the MTU of your interface (e.g. 1400) or "
		            "ask for ICMP 'fragmentation needed' to be let "
		            "through");
	}
	if (p->cert.present) {
		if (p->cert.intercepted &&
		    (d = add(r, "cert-intercepted", DOC_TLS, DOC_PROBLEM))) {
			SET(d->summary, "TLS is intercepted by a security "
			                "product on your network");
			SET(d->evidence, "issuer %s", p->cert.issuer);
			SET(d->fix, "exempt the relay from TLS inspection, or "
			            "trust the product's CA explicitly");
		} else if (p->cert.expired &&
		           (d = add(r, "cert-expired", DOC_TLS, DOC_PROBLEM))) {
			SET(d->summary, "the relay's certificate has expired");
			SET(d->evidence, "not after %s", p->cert.not_after);
			SET(d->fix, "the relay's operator must renew it");
		} else if (p->cert.self_signed && !p->cert.verified &&
		           (d = add(r, "cert-self-signed", DOC_TLS,
		                    DOC_PROBLEM))) {
			SET(d->summary, "the relay's certificate is "
			                "self-signed");
			SET(d->evidence, "subject %s = issuer",
			    p->cert.subject);
			SET(d->fix, "trust it explicitly (--ca-file) if you "
			            "know it, or use the provider's real "
			            "host name");
		} else if (!p->cert.verified &&
		           (d = add(r, "cert-untrusted", DOC_TLS,
		                    DOC_PROBLEM))) {
			SET(d->summary, "the relay's certificate does not "
			                "verify");
			SET(d->evidence, "%s (issuer %s)", p->cert.verify_error,
			    p->cert.issuer);
			SET(d->fix, "install the CA certificates, or pass "
			            "--ca-file");
		}
		if (!p->cert.name_ok &&
		    (d = add(r, "cert-name-mismatch", DOC_TLS, DOC_PROBLEM))) {
			SET(d->summary, "the certificate is not for %s",
			    o->relay_host);
			SET(d->evidence, "subject %s", p->cert.subject);
			SET(d->fix, "connect with the host name the "
			            "certificate names");
		}
	}
	judge_auth(o, p, r);
	if (p->auth[0] == '\0' && p->auth_tls[0] != '\0' &&
	    (d = add(r, "auth-after-starttls", DOC_AUTH, DOC_INFO))) {
		SET(d->summary, "AUTH is offered only after STARTTLS");
		SET(d->evidence, "in clear: none; over TLS: %s", p->auth_tls);
		SET(d->fix, "keep STARTTLS on (it is needed to log in)");
	}
	if (p->seen_addr[0] &&
	    (d = add(r, "public-address", DOC_NETWORK, DOC_INFO))) {
		SET(d->summary, "the relay sees you as %s", p->seen_addr);
		SET(d->evidence, "EHLO reply on port %u", p->port);
		SET(d->fix,
		    "use --ip %s for the PTR, SPF and blocklist "
		    "checks",
		    p->seen_addr);
	}
}

/* NAT: a private source address and direct delivery. */
static void
judge_nat(const struct doctor_opts *o, const struct doctor_facts *f,
          struct doctor_report *r)
{
	enum addr_class c = addr_classify(f->src_addr);
	struct doctor_finding *d;

	if (!addr_is_natted(c))
		return;
	d = add(r, "nat-private-address", DOC_NETWORK,
	        o->relay_host ? DOC_INFO : DOC_PROBLEM);
	if (d == NULL)
		return;
	SET(d->summary,
	    "you are behind NAT (%s address %s): no PTR of your "
	    "own",
	    addr_class_name(c), f->src_addr);
	SET(d->evidence, "source address %s (%s), gateway %s (MAC %s)",
	    f->src_addr, addr_class_name(c), f->ni.gw[0] ? f->ni.gw : "-",
	    f->ni.gw_mac[0] ? f->ni.gw_mac : "-");
	SET(d->fix, "send through a relay (your provider's submission "
	            "server) rather than straight to MX hosts");
}

/* DNS rules. */
static void
judge_dns(const struct doctor_opts *o, const struct doctor_facts *f,
          struct doctor_report *r)
{
	const struct dnscheck *c = &f->dns;
	struct doctor_finding *d;

	if (!f->dns_checked) {
		if (f->dns_err[0] && (d = add(r, "dns-not-answering",
		                              DOC_DNS_SERVER, DOC_PROBLEM))) {
			SET(d->summary, "the DNS resolver cannot be used");
			SET(d->evidence, "%s", f->dns_err);
			SET(d->fix, "check --dns-server / resolv.conf");
		}
		return;
	}
	if (c->dns_dead &&
	    (d = add(r, "dns-not-answering", DOC_DNS_SERVER, DOC_PROBLEM))) {
		SET(d->summary, "the DNS server does not answer");
		SET(d->evidence, "%s (server %s)", c->dns_error,
		    o->dns_server ? o->dns_server : "from resolv.conf");
		SET(d->fix, "use a working resolver (--dns-server) or let "
		            "UDP/TCP 53 out");
		return;
	}
	if (o->domain != NULL) {
		if (c->null_mx &&
		    (d = add(r, "null-mx", DOC_DNS_RECORDS, DOC_PROBLEM))) {
			SET(d->summary,
			    "%s publishes a null MX: it accepts no "
			    "mail",
			    o->domain);
			SET(d->evidence, "MX 0 . (RFC 7505)");
			SET(d->fix, "replies to this domain will bounce: "
			            "publish real MX records, or send from "
			            "another domain");
		} else if (c->mx_status == DNS_NXDOMAIN &&
		           (d = add(r, "domain-not-found", DOC_DNS_RECORDS,
		                    DOC_PROBLEM))) {
			SET(d->summary, "%s does not exist in DNS", o->domain);
			SET(d->evidence, "MX query: NXDOMAIN");
			SET(d->fix, "check the spelling of the domain");
		} else if (c->implicit_mx &&
		           (d = add(r, "no-mx", DOC_DNS_RECORDS,
		                    DOC_WARNING))) {
			SET(d->summary, "%s has no MX record", o->domain);
			SET(d->evidence, "MX query: no data; mail falls back "
			                 "to the A record (implicit MX)");
			SET(d->fix, "publish an MX record for the domain");
		}
		if (!c->spf.present && c->spf.result != SPF_TEMPERROR &&
		    (d = add(r, "spf-missing", DOC_DNS_RECORDS, DOC_PROBLEM))) {
			SET(d->summary, "%s publishes no SPF record",
			    o->domain);
			SET(d->evidence, "no TXT record starting v=spf1");
			SET(d->fix, "publish e.g. \"v=spf1 mx include:<your "
			            "relay's SPF> -all\"");
		} else if (c->spf.present && c->spf.over_limit &&
		           (d = add(r, "spf-too-many-lookups", DOC_DNS_RECORDS,
		                    DOC_PROBLEM))) {
			SET(d->summary,
			    "the SPF record needs %u DNS lookups "
			    "(the limit is %d)",
			    c->spf.lookups, SPF_LOOKUP_LIMIT);
			SET(d->evidence, "%s", c->spf.record);
			SET(d->fix, "flatten include: chains or replace a/mx "
			            "with ip4:/ip6: so the tree needs <= 10 "
			            "lookups");
		} else if (c->spf.result == SPF_PERMERROR &&
		           (d = add(r, "spf-error", DOC_DNS_RECORDS,
		                    DOC_PROBLEM))) {
			SET(d->summary, "the SPF record is broken");
			SET(d->evidence, "%s: %s", c->spf.record, c->spf.note);
			SET(d->fix, "fix the record's syntax");
		} else if (o->ip &&
		           (c->spf.result == SPF_FAIL ||
		            c->spf.result == SPF_SOFTFAIL) &&
		           (d = add(r, "spf-fail", DOC_DNS_RECORDS,
		                    DOC_PROBLEM))) {
			SET(d->summary, "SPF of %s does not authorise %s",
			    o->domain, o->ip);
			SET(d->evidence, "result %s (matched %s) for %s",
			    spf_result_name(c->spf.result), c->spf.matched,
			    c->spf.record);
			SET(d->fix,
			    "add ip4:%s (or your relay's include:) to "
			    "the SPF record",
			    o->ip);
		}
		if (!c->dmarc_present &&
		    (d = add(r, "dmarc-missing", DOC_DNS_RECORDS,
		             DOC_WARNING))) {
			SET(d->summary, "%s publishes no DMARC policy",
			    o->domain);
			SET(d->evidence, "no TXT v=DMARC1 at _dmarc.%s",
			    o->domain);
			SET(d->fix, "publish \"v=DMARC1; p=none; "
			            "rua=mailto:...\" then tighten it");
		} else if (c->dmarc_present &&
		           strcasecmp(c->dmarc_policy, "none") == 0 &&
		           (d = add(r, "dmarc-none", DOC_DNS_RECORDS,
		                    DOC_WARNING))) {
			SET(d->summary,
			    "the DMARC policy of %s is p=none "
			    "(monitoring only)",
			    o->domain);
			SET(d->evidence, "%s", c->dmarc_record);
			SET(d->fix, "move to p=quarantine, then p=reject, once "
			            "reports show your mail aligns");
		}
		if (c->dkim_checked &&
		    (c->dkim_error[0] || c->dkim_revoked ||
		     (c->dkim_bits > 0 && c->dkim_bits < 1024 &&
		      strcasecmp(c->dkim_type, "rsa") == 0)) &&
		    (d = add(r, "dkim-key-problem", DOC_DNS_RECORDS,
		             DOC_PROBLEM))) {
			SET(d->summary,
			    "the DKIM key of selector %s is not "
			    "usable",
			    o->selector);
			SET(d->evidence, "%s",
			    c->dkim_revoked    ? "empty p=: the key is "
			                         "revoked"
			    : c->dkim_error[0] ? c->dkim_error
			                       : "RSA key under 1024 bits");
			SET(d->fix, "publish a 2048-bit RSA or an ed25519 key");
		}
	}
	if (o->ip != NULL && c->ptr_checked) {
		if (c->ptr_status != DNS_OK &&
		    (d = add(r, "ptr-missing", DOC_DNS_RECORDS, DOC_WARNING))) {
			SET(d->summary, "%s has no PTR record", o->ip);
			SET(d->evidence, "PTR query: %s",
			    dns_status_phrase(c->ptr_status));
			SET(d->fix, "ask the owner of the address (your ISP) "
			            "for a PTR, or use a relay");
		} else if (c->ptr_status == DNS_OK && !c->fcrdns &&
		           (d = add(r, "ptr-not-confirmed", DOC_DNS_RECORDS,
		                    DOC_WARNING))) {
			SET(d->summary,
			    "the PTR of %s (%s) does not resolve "
			    "back to it",
			    o->ip, c->ptr_name);
			SET(d->evidence, "A/AAAA of %s lacks %s", c->ptr_name,
			    o->ip);
			SET(d->fix, "make the name's A record point at %s",
			    o->ip);
		}
	}
	for (size_t i = 0; i < c->nbl; i++) {
		const struct dc_bl *b = &c->bl[i];

		if (b->state == DC_BL_LISTED &&
		    (d = add(r, "dnsbl-listed", DOC_REPUTATION, DOC_PROBLEM))) {
			SET(d->summary, "%s is listed on %s", o->ip, b->zone);
			SET(d->evidence, "answer %s%s%s", b->answer,
			    b->text[0] ? ": " : "", b->text);
			SET(d->fix, "find out why (the list's page), fix it, "
			            "request delisting; meanwhile use a relay");
		} else if (b->state == DC_BL_ERROR &&
		           (d = add(r, "dnsbl-query-error", DOC_REPUTATION,
		                    DOC_INFO))) {
			SET(d->summary, "blocklist %s could not be asked",
			    b->zone);
			SET(d->evidence, "%s", b->text);
			SET(d->fix, "query it through your own resolver, not "
			            "a public one");
		}
	}
}

/* Apply every rule. */
void
doctor_judge(const struct doctor_opts *o, const struct doctor_facts *f,
             struct doctor_report *r)
{
	memset(r, 0, sizeof(*r));
	r->root = -1;
	if (f->dns_checked && f->dns.dns_dead)
		judge_dns(o, f, r);
	if (o->relay_host != NULL && f->probed) {
		judge_network(o, f, r);
		judge_tls(o, f, r);
	} else if (o->relay_host != NULL) {
		struct doctor_finding *d =
		    add(r, "relay-not-found", DOC_CONFIG, DOC_PROBLEM);

		if (d != NULL) {
			SET(d->summary, "the relay %s cannot be used",
			    o->relay_host);
			SET(d->evidence, "%s", f->probe_err);
			SET(d->fix, "check the relay's name (--relay "
			            "HOST:PORT)");
		}
	}
	judge_nat(o, f, r);
	if (!(f->dns_checked && f->dns.dns_dead) &&
	    (o->domain != NULL || o->ip != NULL))
		judge_dns(o, f, r);
	if (r->root < 0) {
		/* Warnings become the headline when nothing is broken. */
		for (size_t i = 0; i < r->n; i++)
			if (r->f[i].sev == DOC_WARNING) {
				r->root = (int)i;
				break;
			}
	}
}
