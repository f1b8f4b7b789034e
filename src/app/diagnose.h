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
/*
 * Complete doctor options: without a relay the mailbox host is probed;
 * the relay's port joins the probe list unless ports_given; AUTH needs an
 * explicit relay.  0, or MC_EINVAL with the reason in err.
 */
int app_doctor_prepare(struct doctor_opts *o, bool ports_given, char *err,
                       size_t errsz);
/* Gather the facts and judge them; the sysexits status of the root cause
 * (0 when nothing is wrong). */
int app_doctor_run(const struct doctor_opts *o, struct doctor_facts *f,
                   struct doctor_report *r);
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
};

/* Check a (MC_EINVAL with the reason, naming the option), then serve until
 * a signal or a->count messages. */
int app_sink_run(const struct app_sink *a, struct sink_stats *st, char *err,
                 size_t errsz);

#endif
