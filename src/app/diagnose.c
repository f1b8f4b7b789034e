/*
 * diagnose.c — doctor, DNS check and sink services; see diagnose.h.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "app/diagnose.h"
#include "base/error.h"
#include "base/str.h"
#include "dns/dns.h"

/* Parse a mailbox URL: imap://host[:port], imaps://, pop3://, pop3s://. */
bool
app_mailbox_url(const char *url, char *host, size_t hostlen, unsigned *port)
{
	static const struct {
		const char *scheme;
		unsigned port;
	} s[] = {{"imap://", 143},
	         {"imaps://", 993},
	         {"pop3://", 110},
	         {"pop3s://", 995}};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		size_t l = strlen(s[i].scheme);
		char hp[300];
		const char *rest;
		size_t n;

		if (strncmp(url, s[i].scheme, l) != 0)
			continue;
		rest = url + l;
		if (strchr(rest, '@'))
			rest = strchr(rest, '@') + 1;
		n = strcspn(rest, "/");
		if (n == 0 || n >= sizeof(hp))
			return false;
		memcpy(hp, rest, n);
		hp[n] = '\0';
		return dns_split_hostport(hp, host, hostlen, port, s[i].port) ==
		       0;
	}
	return false;
}

/* The doctor's strings into its options. */
static int
doctor_parse(struct app_doctor *d, char *err, size_t errsz)
{
	static const char *const tls[] = {
	    [DOC_TLS_AUTO] = "auto",
	    [DOC_TLS_STARTTLS] = "starttls",
	    [DOC_TLS_IMPLICIT] = "implicit",
	};
	struct doctor_opts *o = &d->o;
	size_t i = 0;

	if (d->relay != NULL) {
		if (dns_split_hostport(d->relay, d->relay_host,
		                       sizeof(d->relay_host), &o->relay_port,
		                       587) != 0) {
			snprintf(err, errsz, "--relay '%s' is not HOST[:PORT]",
			         d->relay);
			return MC_EINVAL;
		}
		o->relay_host = d->relay_host;
	}
	while (d->tls != NULL && i < sizeof(tls) / sizeof(tls[0]) &&
	       (tls[i] == NULL || strcmp(d->tls, tls[i]) != 0))
		i++;
	if (d->tls != NULL && i == sizeof(tls) / sizeof(tls[0])) {
		snprintf(err, errsz,
		         "--tls must be auto, starttls or implicit");
		return MC_EINVAL;
	}
	if (d->tls != NULL)
		o->tls = (enum doctor_tls_mode)i;
	if (d->mailbox != NULL) {
		if (!app_mailbox_url(d->mailbox, d->mailbox_host,
		                     sizeof(d->mailbox_host),
		                     &o->mailbox_port)) {
			snprintf(err, errsz,
			         "--mailbox must be imap[s]:// or "
			         "pop3[s]://HOST[:PORT]");
			return MC_EINVAL;
		}
		o->mailbox_host = d->mailbox_host;
	}
	if (d->ports != NULL &&
	    probe_parse_ports(d->ports, &o->probe, err, errsz) != 0)
		return MC_EINVAL;
	return 0;
}

/* Parse, default and cross-check the doctor's options. */
int
app_doctor_prepare(struct app_doctor *d, char *err, size_t errsz)
{
	struct doctor_opts *o = &d->o;
	bool have = false;
	int rc;

	if ((rc = doctor_parse(d, err, errsz)) != 0)
		return rc;
	if (o->auth_user != NULL && o->relay_host == NULL) {
		/* Only an SMTP relay is logged in to, not --mailbox. */
		snprintf(err, errsz, "--auth-user needs --relay");
		return MC_EINVAL;
	}
	if (o->relay_host == NULL && o->mailbox_host != NULL) {
		/* Without a relay, the mailbox host is what we can probe. */
		o->relay_host = o->mailbox_host;
		o->relay_port = o->mailbox_port;
	}
	if (o->relay_host == NULL && o->domain == NULL && o->ip == NULL) {
		snprintf(err, errsz,
		         "give at least --relay, --domain, --ip or --mailbox");
		return MC_EINVAL;
	}
	if (o->relay_host == NULL || d->ports != NULL)
		return 0;
	/* Make sure the relay's own port is probed too. */
	for (size_t i = 0; i < o->probe.nports; i++)
		have = have || o->probe.ports[i] == o->relay_port;
	if (!have && o->probe.nports < PROBE_PORTS_MAX)
		o->probe.ports[o->probe.nports++] = o->relay_port;
	return 0;
}

/* Gather, judge, and say how bad the root cause is. */
int
app_doctor_run(struct app_doctor *d)
{
	doctor_gather(&d->o, &d->f);
	doctor_judge(&d->o, &d->f, &d->r);
	if (d->r.root >= 0 && d->r.f[d->r.root].sev == DOC_PROBLEM)
		return doctor_class_exit(d->r.f[d->r.root].cls);
	return 0;
}

/* The DNS checks through a resolver of our own. */
int
app_dns_check(const char *server, int timeout_ms, const struct dnscheck_opts *o,
              struct dnscheck *c, char *err, size_t errsz)
{
	struct dns_resolver *r;
	int rc;

	if (o->domain == NULL && o->ip == NULL) {
		snprintf(err, errsz, "give a DOMAIN and/or --ip");
		return MC_EINVAL;
	}
	if (o->ndnsbl > 0 && o->ip == NULL) {
		snprintf(err, errsz, "--dnsbl needs --ip");
		return MC_EINVAL;
	}
	if (o->selector != NULL && o->domain == NULL) {
		snprintf(err, errsz, "--selector needs a DOMAIN");
		return MC_EINVAL;
	}
	if ((rc = dns_cares_new(server, timeout_ms, 2, &r, err, errsz)) != 0)
		return rc < 0 ? rc : MC_EINVAL;
	dnscheck_run(r, o, c);
	dns_resolver_free(r);
	return 0;
}

/* "10485760", "512k", "10M". */
static bool
parse_size(const char *s, unsigned long long *out)
{
	size_t n = strlen(s);
	unsigned long long mult = 1;

	if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'K'))
		mult = 1024, n--;
	else if (n > 0 && (s[n - 1] == 'm' || s[n - 1] == 'M'))
		mult = 1024 * 1024, n--;
	if (!mc_parse_uint(s, n, (1ULL << 40) / mult, out) || *out == 0)
		return false;
	*out *= mult;
	return true;
}

/* a into cfg; 0 or MC_EINVAL. */
static int
sink_config(const struct app_sink *a, struct sink_config *cfg,
            struct smtp_fault *faults, char *err, size_t errsz)
{
	*cfg = (struct sink_config){
	    .listen = a->listen ? a->listen : "127.0.0.1:2525",
	    .maildir = a->maildir,
	    .tls_cert = a->tls_cert,
	    .tls_key = a->tls_key,
	    .hostname = a->hostname,
	    .max_rcpts = a->max_rcpts,
	    .count = a->count,
	    .report = a->report,
	    .faults = faults,
	    .nfaults = a->nfaults,
	    .latency_ms = (unsigned)a->latency_ms,
	};
	if (a->max_size != NULL && !parse_size(a->max_size, &cfg->max_size)) {
		snprintf(err, errsz, "--max-size %s: expected bytes, e.g. 10M",
		         a->max_size);
		return MC_EINVAL;
	}
	if (a->nfaults > APP_SINK_FAULTS_MAX) {
		snprintf(err, errsz, "more than %d --fault rules",
		         APP_SINK_FAULTS_MAX);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < a->nfaults; i++) {
		char why[400];
		if (smtp_fault_parse(a->faults[i], &faults[i], why,
		                     sizeof(why)) != 0) {
			snprintf(err, errsz, "--fault %s", why);
			return MC_EINVAL;
		}
	}
	if ((a->maildir != NULL) == a->discard) {
		snprintf(err, errsz, "give either --maildir DIR or --discard");
		return MC_EINVAL;
	}
	if ((a->tls_cert != NULL) != (a->tls_key != NULL)) {
		snprintf(err, errsz, "--tls-cert and --tls-key go together");
		return MC_EINVAL;
	}
	return 0;
}

/* Check the sink's settings, then serve. */
int
app_sink_run(const struct app_sink *a, struct sink_stats *st, char *err,
             size_t errsz)
{
	static struct smtp_fault faults[APP_SINK_FAULTS_MAX];
	struct sink_config cfg;
	char host[256];
	int rc;

	if ((rc = sink_config(a, &cfg, faults, err, errsz)) != 0)
		return rc;
	if (cfg.hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			mc_strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		cfg.hostname = host;
	}
	return sink_run(&cfg, st, err, errsz);
}

/* The exit status of a probe that could not run. */
int
app_probe_exit(int rc)
{
	switch (rc) {
	case MC_EUNSUPP:
		return EX_NOPERM;
	case MC_ENOHOST:
		return EX_NOHOST;
	case MC_EINVAL:
		return EX_USAGE;
	default:
		return EX_OSERR;
	}
}
