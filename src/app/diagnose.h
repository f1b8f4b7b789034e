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
/* Check cfg (maildir or discard, certificate and key together, the host
 * name by default this host's) and serve until a signal or cfg->count. */
int app_sink_run(struct sink_config *cfg, bool discard, struct sink_stats *st,
                 char *err, size_t errsz);

#endif
