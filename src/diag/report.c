/*
 * report.c — text and JSON renderings of diagnostic results.
 */
#include <string.h>

#include "diag/report.h"

/* Print and free a JSON value. */
void
report_json_out(FILE *fp, json_t *v)
{
	json_dumpf(v, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(v);
}

/* Text view of netinfo. */
void
report_netinfo(FILE *fp, const struct netinfo *ni)
{
	fprintf(fp, "Interfaces\n");
	for (size_t i = 0; i < ni->nlink; i++) {
		const struct ni_link *l = &ni->link[i];

		fprintf(fp, "  %-10s %-4s mtu %-5u mac %s\n", l->name,
		        l->up ? "up" : "down", l->mtu,
		        l->mac[0] ? l->mac : "-");
		for (size_t j = 0; j < l->naddr; j++)
			fprintf(fp, "    %s/%d  (%s)\n", l->addr[j].addr,
			        l->addr[j].prefixlen,
			        addr_class_name(l->addr[j].cls));
	}
	fprintf(fp, "Default gateway\n");
	if (ni->gw[0])
		fprintf(fp, "  %s via %s, MAC %s%s%s%s\n", ni->gw, ni->gw_dev,
		        ni->gw_mac[0] ? ni->gw_mac : "unknown (no ARP entry)",
		        ni->gw_state[0] ? " (" : "", ni->gw_state,
		        ni->gw_state[0] ? ")" : "");
	else
		fprintf(fp, "  none (no IPv4 default route)\n");
	fprintf(fp, "Routes\n");
	for (size_t i = 0; i < ni->nroute; i++) {
		const struct ni_route *r = &ni->route[i];

		fprintf(fp, "  %-20s %s%s dev %s metric %u\n", r->dst,
		        r->gw[0] ? "via " : "", r->gw, r->dev, r->metric);
	}
	fprintf(fp, "DNS servers (resolv.conf)\n");
	for (size_t i = 0; i < ni->ndns; i++)
		fprintf(fp, "  %s (%s)\n", ni->dns[i],
		        addr_class_name(addr_classify(ni->dns[i])));
	if (ni->ndns == 0)
		fprintf(fp, "  none\n");
}

/* JSON view of netinfo. */
json_t *
report_netinfo_json(const struct netinfo *ni)
{
	json_t *o = json_object(), *links = json_array(),
	       *routes = json_array(), *dns = json_array();

	for (size_t i = 0; i < ni->nlink; i++) {
		const struct ni_link *l = &ni->link[i];
		json_t *a = json_array();

		for (size_t j = 0; j < l->naddr; j++)
			json_array_append_new(
			    a, json_pack("{s:s, s:i, s:s}", "address",
			                 l->addr[j].addr, "prefixlen",
			                 l->addr[j].prefixlen, "class",
			                 addr_class_name(l->addr[j].cls)));
		json_array_append_new(
		    links, json_pack("{s:s, s:s, s:i, s:b, s:o}", "name",
		                     l->name, "mac", l->mac, "mtu", (int)l->mtu,
		                     "up", l->up, "addresses", a));
	}
	for (size_t i = 0; i < ni->nroute; i++)
		json_array_append_new(
		    routes, json_pack("{s:s, s:s, s:s, s:i}", "dst",
		                      ni->route[i].dst, "gateway",
		                      ni->route[i].gw, "dev", ni->route[i].dev,
		                      "metric", (int)ni->route[i].metric));
	for (size_t i = 0; i < ni->ndns; i++)
		json_array_append_new(dns, json_string(ni->dns[i]));
	json_object_set_new(o, "interfaces", links);
	json_object_set_new(o, "gateway",
	                    json_pack("{s:s, s:s, s:s, s:s}", "address", ni->gw,
	                              "dev", ni->gw_dev, "mac", ni->gw_mac,
	                              "state", ni->gw_state));
	json_object_set_new(o, "routes", routes);
	json_object_set_new(o, "dns_servers", dns);
	return o;
}

/* Text view of a ping. */
void
report_ping(FILE *fp, const struct ping_result *r)
{
	fprintf(fp, "PING %s (%s): %d sent, %d received, %.0f%% loss\n",
	        r->addr, r->method ? r->method : "-", r->sent, r->received,
	        r->loss_pct);
	if (r->received > 0)
		fprintf(fp,
		        "rtt min/avg/max = %.3f/%.3f/%.3f ms, reply ttl=%d\n",
		        r->min_ms, r->avg_ms, r->max_ms, r->ttl);
	for (int i = 0; i < r->nerr; i++) {
		fprintf(fp, "ICMP from %s: %s (type %d code %d)",
		        r->err[i].from, r->err[i].text, r->err[i].type,
		        r->err[i].code);
		if (r->err[i].mtu)
			fprintf(fp, ", next-hop MTU %u", r->err[i].mtu);
		fputc('\n', fp);
	}
}

/* JSON view of a ping. */
json_t *
report_ping_json(const struct ping_result *r)
{
	json_t *errs = json_array();

	for (int i = 0; i < r->nerr; i++)
		json_array_append_new(
		    errs, json_pack("{s:s, s:i, s:i, s:s, s:i}", "from",
		                    r->err[i].from, "type", r->err[i].type,
		                    "code", r->err[i].code, "text",
		                    r->err[i].text, "mtu", (int)r->err[i].mtu));
	return json_pack(
	    "{s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:o}", "address",
	    r->addr, "method", r->method ? r->method : "", "sent", r->sent,
	    "received", r->received, "loss_pct", r->loss_pct, "rtt_min_ms",
	    r->min_ms, "rtt_avg_ms", r->avg_ms, "rtt_max_ms", r->max_ms, "ttl",
	    r->ttl, "icmp_errors", errs);
}

/* Text view of a trace. */
void
report_trace(FILE *fp, const struct trace_opts *o, const struct trace_result *r)
{
	fprintf(fp, "trace to %s (%s", r->addr, trace_mode_name(o->mode));
	if (o->mode == TRACE_TCP)
		fprintf(fp, " port %u", o->port);
	fprintf(fp, ")\n");
	for (int i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hop[i];

		if (h->silent)
			fprintf(fp, "  %2d  *\n", h->ttl);
		else
			fprintf(fp, "  %2d  %-16s %8.3f ms  %s\n", h->ttl,
			        h->addr, h->rtt_ms, h->what);
		if (h->mtu)
			fprintf(fp, "      pmtu %u\n", h->mtu);
	}
	if (r->pmtu)
		fprintf(fp, "path MTU %u", r->pmtu);
	if (r->first_mtu)
		fprintf(fp, " (first link %u)", r->first_mtu);
	if (r->pmtu)
		fputc('\n', fp);
	fprintf(fp, "%s\n", r->summary);
}

/* JSON view of a trace. */
json_t *
report_trace_json(const struct trace_opts *o, const struct trace_result *r)
{
	json_t *hops = json_array();

	for (int i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hop[i];

		json_array_append_new(
		    hops,
		    json_pack("{s:i, s:b, s:s, s:f, s:i, s:i, s:s, s:i}", "ttl",
		              h->ttl, "silent", h->silent, "address", h->addr,
		              "rtt_ms", h->rtt_ms, "icmp_type", h->icmp_type,
		              "icmp_code", h->icmp_code, "what", h->what, "mtu",
		              (int)h->mtu));
	}
	return json_pack("{s:s, s:s, s:i, s:o, s:b, s:b, s:i, s:i, s:i, s:s, "
	                 "s:s}",
	                 "address", r->addr, "mode", trace_mode_name(o->mode),
	                 "port", o->mode == TRACE_TCP ? (int)o->port : 0,
	                 "hops", hops, "reached", r->reached, "rejected",
	                 r->rejected, "path_mtu", (int)r->pmtu, "last_hop",
	                 r->last_ttl, "first_mtu", (int)r->first_mtu,
	                 "last_address", r->last_addr, "summary", r->summary);
}

/* Text view of a probe. */
void
report_probe(FILE *fp, const char *host, const struct probe_port *p, size_t n)
{
	fprintf(fp, "ports of %s\n", host);
	for (size_t i = 0; i < n; i++) {
		const struct probe_port *q = &p[i];

		fprintf(fp, "  %-5u %-12s %5u ms  %s\n", q->port,
		        probe_state_name(q->state), q->connect_ms, q->detail);
		if (q->state != PROBE_OPEN && q->state != PROBE_TLS_EXPECTED)
			continue;
		if (q->proto != PROBE_P_UNKNOWN)
			fprintf(fp, "        %s; caps: %s\n",
			        probe_proto_name(q->proto),
			        q->caps[0] ? q->caps : "-");
		if (q->proto != PROBE_P_UNKNOWN)
			fprintf(fp,
			        "        STARTTLS %s; AUTH in clear: %s; "
			        "AUTH over TLS: %s\n",
			        q->starttls ? "offered" : "not offered",
			        q->auth[0] ? q->auth : "-",
			        q->auth_tls[0] ? q->auth_tls : "-");
		if (q->cert.present)
			fprintf(
			    fp,
			    "        cert %s, issuer %s, expires %s; "
			    "%s%s%s%s\n",
			    q->cert.subject, q->cert.issuer, q->cert.not_after,
			    q->cert.verified ? "verified" : "NOT verified: ",
			    q->cert.verified ? "" : q->cert.verify_error,
			    q->cert.name_ok ? ", name matches"
			                    : ", name does NOT match",
			    q->cert.intercepted ? ", issued by an intercepting "
			                          "product"
			                        : "");
		if (q->cert.session[0])
			fprintf(fp, "        tls: %s\n", q->cert.session);
		if (q->seen_addr[0])
			fprintf(fp, "        the server sees you as %s\n",
			        q->seen_addr);
		if (q->auth_tried && q->auth_ok)
			fprintf(fp, "        login: accepted (AUTH %s)\n",
			        q->auth_mech);
		else if (q->auth_tried)
			fprintf(fp, "        login: refused: %s\n",
			        q->auth_reply);
		if (q->error[0] && !q->auth_tried)
			fprintf(fp, "        stopped: %s\n", q->error);
		if (q->mss)
			fprintf(fp,
			        "        tcp: mss %u, advmss %u, path mtu "
			        "%u, rcv window %u%s\n",
			        q->mss, q->advmss, q->pmtu, q->rcv_wnd,
			        q->mss_ok ? " (mss <= mtu-40: ok)"
			                  : " (mss > mtu-40: MTU problem)");
	}
}

/* JSON view of a probe. */
json_t *
report_probe_json(const char *host, const struct probe_port *p, size_t n)
{
	json_t *ports = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct probe_port *q = &p[i];
		json_t *o =
		    json_pack("{s:i, s:s, s:i, s:s}", "port", (int)q->port,
		              "state", probe_state_name(q->state), "connect_ms",
		              (int)q->connect_ms, "detail", q->detail);

		if (q->state == PROBE_REJECTED)
			json_object_set_new(o, "icmp",
			                    json_pack("{s:s, s:i, s:i}", "from",
			                              q->icmp_from, "type",
			                              q->icmp_type, "code",
			                              q->icmp_code));
		if (q->state == PROBE_OPEN || q->state == PROBE_TLS_EXPECTED) {
			json_object_set_new(
			    o, "protocol",
			    json_string(probe_proto_name(q->proto)));
			json_object_set_new(o, "banner",
			                    json_string(q->banner));
			json_object_set_new(o, "capabilities",
			                    json_string(q->caps));
			json_object_set_new(o, "starttls",
			                    json_boolean(q->starttls));
			json_object_set_new(o, "auth", json_string(q->auth));
			json_object_set_new(o, "auth_tls",
			                    json_string(q->auth_tls));
			json_object_set_new(o, "seen_address",
			                    json_string(q->seen_addr));
			json_object_set_new(o, "error", json_string(q->error));
			if (q->auth_tried)
				json_object_set_new(
				    o, "login",
				    json_pack("{s:b, s:i, s:s, s:s}", "ok",
				              q->auth_ok, "code", q->auth_code,
				              "mechanism", q->auth_mech,
				              "reply", q->auth_reply));
			json_object_set_new(
			    o, "tcp",
			    json_pack("{s:i, s:i, s:i, s:i, s:b}", "mss",
			              (int)q->mss, "advmss", (int)q->advmss,
			              "path_mtu", (int)q->pmtu, "rcv_window",
			              (int)q->rcv_wnd, "mss_ok", q->mss_ok));
			if (q->cert.present)
				json_object_set_new(
				    o, "certificate",
				    json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, "
				              "s:b, s:b, s:b, s:b, s:s}",
				              "subject", q->cert.subject,
				              "issuer", q->cert.issuer,
				              "not_after", q->cert.not_after,
				              "tls_version", q->cert.version,
				              "verified", q->cert.verified,
				              "verify_error",
				              q->cert.verify_error, "name_ok",
				              q->cert.name_ok, "self_signed",
				              q->cert.self_signed, "expired",
				              q->cert.expired, "intercepted",
				              q->cert.intercepted, "session",
				              q->cert.session));
		}
		json_array_append_new(ports, o);
	}
	return json_pack("{s:s, s:o}", "host", host, "ports", ports);
}

/* Text view of the DNS checks. */
void
report_dns(FILE *fp, const struct dnscheck_opts *o, const struct dnscheck *c)
{
	if (c->dns_dead) {
		fprintf(fp, "DNS server not answering: %s\n", c->dns_error);
		return;
	}
	if (o->domain != NULL) {
		fprintf(fp, "MX of %s\n", o->domain);
		if (c->null_mx)
			fprintf(fp,
			        "  null MX (RFC 7505): the domain accepts no "
			        "mail\n");
		else if (c->mx_status != DNS_OK && !c->implicit_mx)
			fprintf(fp, "  %s\n", dns_status_phrase(c->mx_status));
		if (c->implicit_mx)
			fprintf(fp,
			        "  no MX: implicit MX, the domain itself\n");
		for (size_t i = 0; i < c->nmx; i++) {
			fprintf(fp, "  %3u %s ->", c->mx[i].pref,
			        c->mx[i].name);
			for (size_t k = 0; k < c->mx[i].naddr; k++)
				fprintf(fp, " %s", c->mx[i].addr[k]);
			if (c->mx[i].naddr == 0)
				fprintf(fp, " (no address: %s)",
				        dns_status_phrase(c->mx[i].a_status));
			fputc('\n', fp);
		}
		fprintf(fp, "SPF\n");
		if (c->spf.present)
			fprintf(fp,
			        "  %s\n  %u DNS lookups (limit %d)%s; "
			        "result for %s: %s%s%s%s%s\n",
			        c->spf.record, c->spf.lookups, SPF_LOOKUP_LIMIT,
			        c->spf.over_limit ? " OVER THE LIMIT" : "",
			        o->ip ? o->ip : "(no --ip)",
			        spf_result_name(c->spf.result),
			        c->spf.matched[0] ? " by " : "", c->spf.matched,
			        c->spf.note[0] ? "; " : "", c->spf.note);
		else
			fprintf(fp, "  none published%s%s\n",
			        c->spf.note[0] ? ": " : "", c->spf.note);
		fprintf(fp, "DMARC\n");
		if (c->dmarc_present)
			fprintf(fp, "  policy p=%s pct=%d (%s)\n",
			        c->dmarc_policy, c->dmarc_pct, c->dmarc_record);
		else
			fprintf(fp, "  none published\n");
		if (c->dkim_checked) {
			fprintf(fp, "DKIM selector %s\n", o->selector);
			if (c->dkim_revoked)
				fprintf(fp, "  revoked (empty p=)\n");
			else if (c->dkim_error[0])
				fprintf(fp, "  %s\n", c->dkim_error);
			else
				fprintf(fp, "  %s key, %d bits\n", c->dkim_type,
				        c->dkim_bits);
		}
	}
	if (o->ip != NULL && c->ptr_checked) {
		fprintf(fp, "PTR of %s\n", o->ip);
		if (c->ptr_status == DNS_OK)
			fprintf(fp, "  %s, %s\n", c->ptr_name,
			        c->fcrdns ? "forward-confirmed"
			                  : "NOT forward-confirmed");
		else
			fprintf(fp, "  none (%s)\n",
			        dns_status_phrase(c->ptr_status));
	}
	if (c->nbl > 0)
		fprintf(fp, "Blocklists for %s\n", o->ip);
	for (size_t i = 0; i < c->nbl; i++)
		fprintf(fp, "  %-30s %s%s%s%s%s\n", c->bl[i].zone,
		        dc_bl_state_name(c->bl[i].state),
		        c->bl[i].answer[0] ? " " : "", c->bl[i].answer,
		        c->bl[i].text[0] ? ": " : "", c->bl[i].text);
}

/* JSON view of the DNS checks. */
json_t *
report_dns_json(const struct dnscheck_opts *o, const struct dnscheck *c)
{
	json_t *v = json_object(), *mx = json_array(), *bl = json_array();

	json_object_set_new(v, "dns_answering", json_boolean(!c->dns_dead));
	json_object_set_new(v, "dns_error", json_string(c->dns_error));
	if (o->domain != NULL) {
		for (size_t i = 0; i < c->nmx; i++) {
			json_t *a = json_array();

			for (size_t k = 0; k < c->mx[i].naddr; k++)
				json_array_append_new(
				    a, json_string(c->mx[i].addr[k]));
			json_array_append_new(
			    mx, json_pack("{s:s, s:i, s:o}", "host",
			                  c->mx[i].name, "preference",
			                  (int)c->mx[i].pref, "addresses", a));
		}
		json_object_set_new(v, "domain", json_string(o->domain));
		json_object_set_new(v, "mx",
		                    json_pack("{s:s, s:b, s:b, s:o}", "status",
		                              dns_status_name(c->mx_status),
		                              "null_mx", c->null_mx, "implicit",
		                              c->implicit_mx, "hosts", mx));
		json_object_set_new(
		    v, "spf",
		    json_pack("{s:b, s:s, s:i, s:b, s:s, s:s, s:s}", "present",
		              c->spf.present, "record", c->spf.record,
		              "lookups", (int)c->spf.lookups, "over_limit",
		              c->spf.over_limit, "result",
		              spf_result_name(c->spf.result), "matched",
		              c->spf.matched, "note", c->spf.note));
		json_object_set_new(
		    v, "dmarc",
		    json_pack("{s:b, s:s, s:i, s:s}", "present",
		              c->dmarc_present, "policy", c->dmarc_policy,
		              "pct", c->dmarc_pct, "record", c->dmarc_record));
		if (c->dkim_checked)
			json_object_set_new(
			    v, "dkim",
			    json_pack("{s:s, s:s, s:i, s:b, s:s}", "selector",
			              o->selector, "type", c->dkim_type, "bits",
			              c->dkim_bits, "revoked", c->dkim_revoked,
			              "error", c->dkim_error));
	} else
		json_decref(mx);
	if (o->ip != NULL) {
		json_object_set_new(v, "ip", json_string(o->ip));
		json_object_set_new(v, "ptr",
		                    json_pack("{s:s, s:s, s:b}", "status",
		                              dns_status_name(c->ptr_status),
		                              "name", c->ptr_name,
		                              "forward_confirmed", c->fcrdns));
	}
	for (size_t i = 0; i < c->nbl; i++)
		json_array_append_new(
		    bl, json_pack("{s:s, s:s, s:s, s:s}", "zone", c->bl[i].zone,
		                  "state", dc_bl_state_name(c->bl[i].state),
		                  "answer", c->bl[i].answer, "text",
		                  c->bl[i].text));
	json_object_set_new(v, "blocklists", bl);
	return v;
}

/* The doctor's text report. */
void
report_doctor(FILE *fp, const struct doctor_opts *o,
              const struct doctor_facts *f, const struct doctor_report *r)
{
	if (r->root >= 0) {
		const struct doctor_finding *d = &r->f[r->root];

		fprintf(fp, "%s: %s [%s]\n",
		        d->sev == DOC_PROBLEM ? "ROOT CAUSE" : "WARNING",
		        d->summary, d->id);
		fprintf(fp, "  evidence: %s\n  fix:      %s\n", d->evidence,
		        d->fix);
	} else
		fprintf(fp, "OK: no problem found\n");
	if (r->n > 1 || (r->n == 1 && r->root < 0)) {
		fprintf(fp, "\nAlso found\n");
		for (size_t i = 0; i < r->n; i++) {
			if ((int)i == r->root)
				continue;
			fprintf(fp, "  %-8s %s [%s]\n           %s\n",
			        doctor_severity_name(r->f[i].sev),
			        r->f[i].summary, r->f[i].id, r->f[i].evidence);
		}
	}
	fprintf(fp, "\nDetail (gathered in %u ms)\n", f->elapsed_ms);
	fprintf(fp,
	        "source address %s (%s), MTU of the way out %u, gateway "
	        "%s MAC %s\n",
	        f->src_addr[0] ? f->src_addr : "-",
	        addr_class_name(addr_classify(f->src_addr)), f->out_mtu,
	        f->ni.gw[0] ? f->ni.gw : "-",
	        f->ni.gw_mac[0] ? f->ni.gw_mac : "-");
	if (f->probed)
		report_probe(fp, o->relay_host, f->port, f->nports);
	if (f->traced)
		report_trace(fp, &f->trace_o, &f->trace);
	if (f->pinged)
		report_ping(fp, &f->ping);
	else if (f->ping_err[0])
		fprintf(fp, "ping: %s\n", f->ping_err);
	if (f->dns_checked) {
		struct dnscheck_opts dco = {
		    .domain = o->domain, .ip = o->ip, .selector = o->selector};

		report_dns(fp, &dco, &f->dns);
	}
}

/* The doctor's JSON report. */
json_t *
report_doctor_json(const struct doctor_opts *o, const struct doctor_facts *f,
                   const struct doctor_report *r)
{
	json_t *v = json_object(), *fs = json_array(), *facts = json_object();
	const struct doctor_finding *root =
	    r->root >= 0 ? &r->f[r->root] : NULL;

	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(
		    fs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
		                  r->f[i].id, "class",
		                  doctor_class_name(r->f[i].cls), "severity",
		                  doctor_severity_name(r->f[i].sev), "summary",
		                  r->f[i].summary, "evidence", r->f[i].evidence,
		                  "fix", r->f[i].fix));
	json_object_set_new(v, "schema", json_string("mailcast.doctor/1"));
	json_object_set_new(
	    v, "root_cause",
	    root ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", root->id,
	                     "class", doctor_class_name(root->cls), "severity",
	                     doctor_severity_name(root->sev), "summary",
	                     root->summary, "evidence", root->evidence, "fix",
	                     root->fix)
	         : json_null());
	json_object_set_new(v, "exit_code",
	                    json_integer(root && root->sev == DOC_PROBLEM
	                                     ? doctor_class_exit(root->cls)
	                                     : 0));
	json_object_set_new(v, "findings", fs);
	json_object_set_new(v, "elapsed_ms", json_integer(f->elapsed_ms));
	json_object_set_new(facts, "source_address", json_string(f->src_addr));
	json_object_set_new(
	    facts, "source_class",
	    json_string(addr_class_name(addr_classify(f->src_addr))));
	json_object_set_new(facts, "out_mtu", json_integer(f->out_mtu));
	json_object_set_new(facts, "netinfo", report_netinfo_json(&f->ni));
	if (f->probed)
		json_object_set_new(
		    facts, "probe",
		    report_probe_json(o->relay_host, f->port, f->nports));
	if (f->traced)
		json_object_set_new(facts, "trace",
		                    report_trace_json(&f->trace_o, &f->trace));
	if (f->pinged)
		json_object_set_new(facts, "ping", report_ping_json(&f->ping));
	if (f->dns_checked) {
		struct dnscheck_opts dco = {
		    .domain = o->domain, .ip = o->ip, .selector = o->selector};

		json_object_set_new(facts, "dns",
		                    report_dns_json(&dco, &f->dns));
	}
	json_object_set_new(v, "facts", facts);
	return v;
}
