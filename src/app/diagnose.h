/*
 * diagnose.h — the doctor, the DNS check and the capture sink as services:
 * what `mailcast doctor`, `dns` and `sink` do beyond reading flags and
 * printing, so that a long-running service can run them too.
 *
 * The caller fills the option structs of diag/ and net/ (borrowed strings)
 * and calls prepare/run; messages go into err without a program prefix.
 * Errors: MC_EINVAL (options that do not go together), and what the layer
 * below returns.  Secrets stay the caller's: it wipes them after the run.
 */
#ifndef MC_APP_DIAGNOSE_H
#define MC_APP_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag/dnscheck.h"
#include "diag/doctor.h"
#include "net/sink.h"

/* Parse a mailbox URL (imap://, imaps://, pop3://, pop3s://, user@ and a
 * path allowed) into host and *port; false when it is not one. */
bool app_mailbox_url(const char *url, char *host, size_t hostlen,
                     unsigned *port);

/* A doctor's run: options, the facts gathered and the verdict. */
struct app_doctor {
	struct doctor_opts o; /* after doctor_opts_default() and the caller */
	const char *relay;    /* HOST[:PORT], port 587 unless given */
	const char *tls;      /* auto | starttls | implicit */
	const char *mailbox;  /* imap[s]:// or pop3[s]://HOST[:PORT] */
	const char *ports;    /* the probe's port list */
	char relay_host[256], mailbox_host[256];
	struct doctor_facts f;
	struct doctor_report r;
};

/*
 * Parse d's strings into d->o and complete it: without a relay the
 * mailbox host is probed; the relay's port joins the probe list unless
 * ports are given; AUTH needs an explicit relay.  0, or MC_EINVAL with the
 * reason in err.
 */
int app_doctor_prepare(struct app_doctor *d, char *err, size_t errsz);
/* Gather the facts and judge them; the sysexits status of the root cause
 * (0 when nothing is wrong). */
int app_doctor_run(struct app_doctor *d);
/* The DNS checks of o through server ("ADDR:PORT", NULL: the system's).
 * 0 (c filled; c->dns_dead when the server did not answer), MC_EINVAL. */
int app_dns_check(const char *server, int timeout_ms,
                  const struct dnscheck_opts *o, struct dnscheck *c, char *err,
                  size_t errsz);
#define APP_SINK_FAULTS_MAX 64

/* The capture sink's settings, as a user writes them. */
struct app_sink {
	const char *listen; /* ADDR:PORT; NULL: 127.0.0.1:2525 */
	const char *maildir;
	bool discard;                   /* exactly one of maildir and discard */
	const char *tls_cert, *tls_key; /* both or neither */
	const char *hostname;           /* NULL: this host's name */
	const char *max_size;           /* "10485760", "512k", "10M"; NULL */
	unsigned max_rcpts;             /* 0: the default */
	unsigned long count;            /* stop after; 0: at a signal */
	const char *const *faults;      /* STAGE:PATTERN=ACTION rules */
	size_t nfaults;                 /* at most APP_SINK_FAULTS_MAX */
	FILE *report;                   /* a line per event, or NULL */
	int latency_ms; /* a link's round trip to emulate (0: none) */
};

/* Check a (MC_EINVAL with the reason, naming the option), then serve until
 * a signal or a->count messages. */
int app_sink_run(const struct app_sink *a, struct sink_stats *st, char *err,
                 size_t errsz);

/* The <sysexits.h> status of a probe (ping, trace) that could not run: no
 * permission (raw or ping sockets), unknown host, bad usage, else an OS
 * error. */
int app_probe_exit(int rc);

#endif
