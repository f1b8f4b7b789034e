/*
 * report.h — the facts of each diagnostic, as text for people and as JSON.
 *
 * One printer and one JSON builder per result type, shared by the single
 * commands (netinfo, ping, trace, probe, dns) and by the doctor's detail
 * section, so the same fact reads the same everywhere.  The JSON field
 * names are the documented schema (docs/doctor.md): change them only with
 * the documentation.
 *
 * Ownership: the json_t returned is new (json_decref it).
 */
#ifndef MC_DIAG_REPORT_H
#define MC_DIAG_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "diag/dnscheck.h"
#include "diag/doctor.h"
#include "diag/netinfo.h"
#include "diag/ping.h"
#include "diag/probe.h"
#include "diag/trace.h"

void report_netinfo(FILE *fp, const struct netinfo *ni);
json_t *report_netinfo_json(const struct netinfo *ni);
void report_ping(FILE *fp, const struct ping_result *r);
json_t *report_ping_json(const struct ping_result *r);
void report_trace(FILE *fp, const struct trace_opts *o,
                  const struct trace_result *r);
json_t *report_trace_json(const struct trace_opts *o,
                          const struct trace_result *r);
void report_probe(FILE *fp, const char *host, const struct probe_port *p,
                  size_t n);
json_t *report_probe_json(const char *host, const struct probe_port *p,
                          size_t n);
void report_dns(FILE *fp, const struct dnscheck_opts *o,
                const struct dnscheck *c);
json_t *report_dns_json(const struct dnscheck_opts *o,
                        const struct dnscheck *c);
/* The verdict first (root cause, evidence, fix), then the detail. */
void report_doctor(FILE *fp, const struct doctor_opts *o,
                   const struct doctor_facts *f, const struct doctor_report *r);
json_t *report_doctor_json(const struct doctor_opts *o,
                           const struct doctor_facts *f,
                           const struct doctor_report *r);
/* Print a JSON value (pretty, with a newline) and release it. */
void report_json_out(FILE *fp, json_t *v);

#endif
