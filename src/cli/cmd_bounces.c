/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`.
 *
 * parse reads each FILE (a whole message), runs the bounce parser and
 * prints what it found: a short table, or with --json one JSON object per
 * file per line.  A file that cannot be read or is skipped by a parser
 * limit is reported (on stderr, and as {"file","skipped"} in JSON) and the
 * others still go through; the exit status is then EX_NOINPUT or
 * EX_DATAERR.  --stats prints the parse rate (CPU time of the parser only)
 * to stderr; --repeat N parses each file N times for that figure.
 *
 * fetch reads a POP3 or IMAP mailbox (net/mailbox_conn.h), ingest one
 * message on stdin (an MTA pipe); both apply what each message says to the
 * store (store.h bounce_apply: suppress, count, unsubscribe) together with
 * the mailbox memory (mailbox_seen_put) in one transaction, so a message
 * is handled once even when the connection or the process dies between
 * two steps: a message whose effects are committed but whose move/delete
 * did not happen is only moved/deleted on the next run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <ctype.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce.h"
#include "bounce/token.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "msg/address.h"
#include "net/mailbox_conn.h"
#include "net/tcp.h"
#include "net/tls.h"

/* Print the usage of `bounces`. */
static void
bounces_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast bounces parse [--json] [--stats] FILE...\n"
	    "       mailcast bounces fetch --mailbox URL [options]\n"
	    "       mailcast bounces ingest [options] < MESSAGE\n"
	    "\n"
	    "parse   print the kind of each message (bounce, complaint,\n"
	    "        auto-reply, not-bounce) and its recipients with action,\n"
	    "        status, reply code, diagnostic, remote MTA and class\n"
	    "        (hard, soft, complaint, auto-reply, not-bounce, unknown)\n"
	    "  --json       one JSON object per file, one per line\n"
	    "  --stats      print messages/s of the parser (CPU time) to "
	    "stderr\n"
	    "  --repeat N   parse each file N times (for --stats)\n"
	    "\n"
	    "fetch   read a mailbox; apply each bounce, complaint and\n"
	    "        unsubscribe request to the store, once.  URL:\n"
	    "        pop3://USER@HOST[:PORT], pop3s://..., imap://USER@HOST\n"
	    "        [:PORT][/FOLDER], imaps://... (ports 110/995/143/993)\n"
	    "  --password-file FILE    the password (else the environment\n"
	    "                          variable MAILCAST_MAILBOX_PASSWORD)\n"
	    "  --starttls              STLS/STARTTLS on pop3:// or imap://\n"
	    "  --ca-file FILE          trust this CA; --tls-verify no: none\n"
	    "  --auth MECH             plain, login, cram-md5, xoauth2; POP3\n"
	    "                          also user, apop (default: the best)\n"
	    "  --allow-cleartext-auth  send the password without TLS\n"
	    "  --move-to FOLDER        IMAP: move handled messages there\n"
	    "                          (default mailcast-handled)\n"
	    "  --delete | --keep       delete handled messages, or leave\n"
	    "                          them (POP3 keeps unless --delete)\n"
	    "  --idle [--idle-max S]   IMAP: keep watching for new mail\n"
	    "  --timeout S             per command (default 120)\n"
	    "ingest  one message on stdin (an MTA pipe transport): exit 0\n"
	    "        when handled, 75 (EX_TEMPFAIL) when the store is busy\n"
	    "        or unavailable (the MTA retries), 65 when unreadable\n"
	    "fetch and ingest:\n"
	    "  --token-key FILE        the campaign key (VERP tokens)\n"
	    "  --soft-limit N          suppress after N soft bounces (3)\n"
	    "  --soft-days D           ... within D days (7)\n"
	    "  --max-size BYTES        skip bigger messages (16 MB)\n"
	    "  --json                  one JSON object per message\n");
}

/* Read a whole file of at most max bytes; *len is the file's size even
 * when it is larger (then NULL is returned with errno EFBIG). */
static char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *data;

	*len = 0;
	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		errno = EINVAL;
		return NULL;
	}
	*len = (size_t)st.st_size;
	if (*len > max) {
		fclose(fp);
		errno = EFBIG;
		return NULL;
	}
	data = xmalloc(*len + 1);
	if (fread(data, 1, *len, fp) != *len) {
		free(data);
		fclose(fp);
		errno = EIO;
		return NULL;
	}
	data[*len] = '\0';
	fclose(fp);
	return data;
}

/* A JSON string that tolerates NULL (as ""). */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("");
}

/* Print one result as a JSON line. */
static void
print_json(const char *file, const struct bounce_result *r)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "file", jstr(file));
	json_object_set_new(o, "kind", jstr(bounce_kind_name(r->kind)));
	json_object_set_new(o, "format", jstr(r->format));
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];
		json_t *j = json_object();
		json_object_set_new(j, "address", jstr(rc->address));
		json_object_set_new(j, "action",
		                    rc->action[0] ? jstr(rc->action)
		                                  : json_null());
		json_object_set_new(j, "status",
		                    rc->status[0] ? jstr(rc->status)
		                                  : json_null());
		json_object_set_new(j, "reply_code",
		                    rc->reply_code
		                        ? json_integer(rc->reply_code)
		                        : json_null());
		json_object_set_new(j, "diagnostic",
		                    rc->diagnostic ? jstr(rc->diagnostic)
		                                   : json_null());
		json_object_set_new(j, "remote_mta",
		                    rc->remote_mta[0] ? jstr(rc->remote_mta)
		                                      : json_null());
		json_object_set_new(j, "reason",
		                    jstr(bounce_reason_name(rc->reason)));
		json_object_set_new(j, "class",
		                    jstr(bounce_class_name(rc->cls)));
		json_array_append_new(a, j);
	}
	json_object_set_new(o, "recipients", a);
	if (r->feedback_type[0])
		json_object_set_new(o, "feedback_type", jstr(r->feedback_type));
	if (r->token[0]) {
		json_object_set_new(o, "token", jstr(r->token));
		json_object_set_new(o, "verp_address", jstr(r->verp_address));
	}
	if (r->original_message_id[0])
		json_object_set_new(o, "original_message_id",
		                    jstr(r->original_message_id));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

/* Print one result for a person. */
static void
print_text(const char *file, const struct bounce_result *r)
{
	printf("%s: %s", file, bounce_kind_name(r->kind));
	if (r->format[0])
		printf(" (%s)", r->format);
	if (r->token[0])
		printf(" token %s", r->token);
	printf("\n");
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];
		printf("  %-40s %-10s %-7s %3d %s\n", rc->address,
		       bounce_class_name(rc->cls),
		       rc->status[0] ? rc->status : "-", rc->reply_code,
		       rc->diagnostic ? rc->diagnostic : "");
	}
}

/* Report a file that was not parsed. */
static void
print_skip(const char *file, const char *why, bool json)
{
	fprintf(stderr, "mailcast: bounces parse: %s: skipped: %s\n", file,
	        why);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "file", jstr(file));
		json_object_set_new(o, "skipped", jstr(why));
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s != NULL) {
			puts(s);
			free(s);
		}
		json_decref(o);
	}
}

/* CPU seconds of this process. */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `mailcast bounces parse`. */
static int
bounces_parse(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"stats", no_argument, NULL, 's'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = cli_globals.json, stats = false;
	long repeat = 1;
	int ch, status = EX_OK;
	double spent = 0;
	unsigned long parsed = 0;
	struct bounce_result r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 's':
			stats = true;
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			if (repeat < 1 || repeat > 100000) {
				fprintf(stderr, "mailcast: bounces parse: "
				                "--repeat wants 1..100000\n");
				return EX_USAGE;
			}
			break;
		case 'h':
			bounces_usage(stdout);
			return EX_OK;
		default:
			bounces_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mailcast: bounces parse: no FILE given\n");
		bounces_usage(stderr);
		return EX_USAGE;
	}
	bounce_result_init(&r);
	for (int i = optind; i < argc; i++) {
		const char *file = argv[i];
		char err[256];
		size_t len;
		char *data = read_file(file, BOUNCE_MAX_SIZE, &len);
		int rc = 0;

		if (data == NULL && errno == EFBIG) {
			/* Over the limit: bounce_parse says so without
			 * reading the bytes. */
			rc = bounce_parse(NULL, len, &r, err, sizeof(err));
			print_skip(file, err, json);
			status = EX_DATAERR;
			continue;
		}
		if (data == NULL) {
			print_skip(file, strerror(errno), json);
			if (status == EX_OK)
				status = EX_NOINPUT;
			continue;
		}
		double t0 = cpu_seconds();
		for (long k = 0; k < repeat; k++)
			rc = bounce_parse(data, len, &r, err, sizeof(err));
		spent += cpu_seconds() - t0;
		parsed += (unsigned long)repeat;
		free(data);
		if (rc != 0) {
			print_skip(file, err, json);
			status = EX_DATAERR;
			continue;
		}
		if (json)
			print_json(file, &r);
		else
			print_text(file, &r);
	}
	bounce_result_fini(&r);
	fflush(stdout);
	if (stats)
		fprintf(stderr,
		        "stats: %lu messages parsed in %.3f s CPU: %.0f "
		        "messages/s\n",
		        parsed, spent,
		        spent > 0 ? (double)parsed / spent : 0.0);
	return status;
}

/* ---- fetch and ingest ------------------------------------------------- */

#define SOFT_LIMIT_DEFAULT 3
#define SOFT_DAYS_DEFAULT  7
#define MOVE_TO_DEFAULT    "mailcast-handled"
#define IDLE_PERIOD_MS     (25u * 60 * 1000) /* RFC 2177: under 29 min */
#define HEADER_MAX         998

/* What fetch and ingest share. */
struct handler {
	struct store *store;
	struct token_key key;
	bool have_key;
	int soft_limit, soft_days;
	size_t max_size;
	bool json;
	/* Counts for the summary. */
	unsigned long n_bounce, n_hard, n_soft, n_complaint, n_unsub, n_auto,
	    n_other, n_skipped, n_seen, n_disposed, n_suppressed;
};

/* What one message turned out to be. */
struct handled {
	const char *kind; /* "bounce", "complaint", "unsubscribe", ... */
	bool dispose;     /* move or delete it (bounces, complaints, unsub.) */
	char skip[256];   /* why it was skipped, or "" */
};

/* The value of header name in the header block of msg (unfolded, at most
 * outsz - 1 bytes); false when absent. */
static bool
header_get(const char *msg, size_t len, const char *name, char *out,
           size_t outsz)
{
	size_t nl = strlen(name), i = 0, o = 0;

	while (i < len) {
		const char *eol = memchr(msg + i, '\n', len - i);
		size_t ll = eol ? (size_t)(eol - (msg + i)) : len - i;
		if (ll == 0 || (ll == 1 && msg[i] == '\r'))
			return false; /* end of the header block */
		if (ll > nl && msg[i + nl] == ':' &&
		    mc_istarts(msg + i, ll, name)) {
			size_t j = i + nl + 1;
			for (;;) {
				const char *e = memchr(msg + j, '\n', len - j);
				size_t end = e ? (size_t)(e - msg) : len;
				for (; j < end && o + 1 < outsz; j++)
					if (msg[j] != '\r')
						out[o++] = msg[j];
				if (e == NULL || end + 1 >= len ||
				    (msg[end + 1] != ' ' &&
				     msg[end + 1] != '\t'))
					break;
				j = end + 1;
			}
			out[o] = '\0';
			/* Trim. */
			char *p = out;
			while (*p == ' ' || *p == '\t')
				p++;
			memmove(out, p, strlen(p) + 1);
			o = strlen(out);
			while (o > 0 &&
			       (out[o - 1] == ' ' || out[o - 1] == '\t'))
				out[--o] = '\0';
			return true;
		}
		if (eol == NULL)
			break;
		i += ll + 1;
	}
	return false;
}

/* Normalise an address the way contacts are stored; false if invalid. */
static bool
norm_addr(const char *in, char *out, size_t outsz)
{
	char err[200];

	return cli_addr_check(NULL, in, strlen(in), out, outsz, err,
	                      sizeof(err)) == 0;
}

/* Is this a mailto unsubscribe request ("unsubscribe [TOKEN]" as the
 * subject, from the List-Unsubscribe mailto we send)?  Fills the sender
 * and the token. */
static bool
unsub_request(const char *msg, size_t len, char *from, size_t fromsz, char *tok,
              size_t toksz)
{
	char subj[HEADER_MAX + 1], fh[HEADER_MAX + 1], name[200], err[200];
	struct addr a;
	const char *p;

	if (!header_get(msg, len, "Subject", subj, sizeof(subj)) ||
	    !mc_istarts(subj, strlen(subj), "unsubscribe"))
		return false;
	p = subj + strlen("unsubscribe");
	if (*p != '\0' && *p != ' ')
		return false;
	while (*p == ' ')
		p++;
	mc_strlcpy(tok, p, toksz);
	if (strchr(tok, ' '))
		return false; /* a sentence, not our request */
	if (!header_get(msg, len, "From", fh, sizeof(fh)) ||
	    addr_parse_mailbox(fh, strlen(fh), &a, name, sizeof(name), err,
	                       sizeof(err)) != 0)
		return false;
	addr_format(&a, fh, sizeof(fh));
	return norm_addr(fh, from, fromsz);
}

/* Decode a VERP token into campaign and contact (0, 0 when it fails). */
static void
match_token(struct handler *h, const char *tok, int64_t *campaign,
            int64_t *contact)
{
	uint64_t c = 0, k = 0;

	*campaign = *contact = 0;
	if (!h->have_key || tok == NULL || *tok == '\0')
		return;
	if (token_decode(&h->key, tok, strlen(tok), &c, &k) == 0 &&
	    c <= INT64_MAX && k <= INT64_MAX) {
		*campaign = (int64_t)c;
		*contact = (int64_t)k;
	}
}

/* JSON of one effect, appended to arr. */
static void
json_effect(json_t *arr, const char *address, const char *cls, int64_t campaign,
            int64_t contact, int fx)
{
	json_t *o = json_object();

	json_object_set_new(o, "address", jstr(address));
	json_object_set_new(o, "class", jstr(cls));
	if (campaign)
		json_object_set_new(o, "campaign", json_integer(campaign));
	if (contact)
		json_object_set_new(o, "contact", json_integer(contact));
	json_object_set_new(o, "suppressed",
	                    json_boolean(fx & STORE_EFFECT_SUPPRESSED));
	json_object_set_new(o, "unsubscribed",
	                    json_boolean(fx & STORE_EFFECT_UNSUBSCRIBED));
	json_array_append_new(arr, o);
}

/*
 * Parse one message and apply it to the store, with the mailbox memory
 * (seen_box/seen_uid, NULL for none) in the same transaction.  Returns 0
 * (out filled) or a store error (nothing applied).
 */
static int
handle_message(struct handler *h, const char *msg, size_t len,
               const char *fallback_id, const char *seen_box,
               const char *seen_uid, bool will_dispose, struct handled *out,
               json_t *effects)
{
	struct store *s = h->store;
	struct bounce_result r;
	char err[256], msgid[HEADER_MAX + 1], source[HEADER_MAX + 64];
	int rc, fx = 0;
	int64_t campaign, contact;

	memset(out, 0, sizeof(*out));
	if (!header_get(msg, len, "Message-ID", msgid, sizeof(msgid)) ||
	    msgid[0] == '\0')
		mc_strlcpy(source, fallback_id, sizeof(source));
	else
		mc_strlcpy(source, msgid, sizeof(source));
	bounce_result_init(&r);
	int prc = bounce_parse(msg, len, &r, err, sizeof(err));
	if ((rc = store_begin(s)) < 0) {
		bounce_result_fini(&r);
		return rc;
	}
	if (prc != 0) {
		out->kind = "skipped";
		snprintf(out->skip, sizeof(out->skip), "%s", err);
		h->n_skipped++;
		goto remember;
	}
	match_token(h, r.token, &campaign, &contact);
	if (r.kind == BOUNCE_KIND_BOUNCE || r.kind == BOUNCE_KIND_COMPLAINT) {
		bool complaint = r.kind == BOUNCE_KIND_COMPLAINT;
		out->kind = complaint ? "complaint" : "bounce";
		out->dispose = true;
		if (complaint)
			h->n_complaint++;
		else
			h->n_bounce++;
		for (size_t i = 0; i < r.nrcpts; i++) {
			const struct bounce_rcpt *rc2 = &r.rcpts[i];
			const char *cls;
			char addr[STORE_ADDRESS_MAX + 1];
			if (complaint || rc2->cls == BOUNCE_CLASS_COMPLAINT)
				cls = "complaint";
			else if (rc2->cls == BOUNCE_CLASS_HARD)
				cls = "hard";
			else if (rc2->cls == BOUNCE_CLASS_SOFT &&
			         strcmp(rc2->action, "delayed") != 0)
				cls = "soft";
			else
				continue; /* delayed, delivered, unknown */
			if (!norm_addr(rc2->address, addr, sizeof(addr)))
				continue;
			struct store_bounce_effect e = {
			    .campaign_id = campaign,
			    .contact_id = contact,
			    .address = addr,
			    .kind = cls,
			    .status = rc2->status[0] ? rc2->status : NULL,
			    .diagnostic = rc2->diagnostic,
			    .source = source,
			    .soft_limit = h->soft_limit,
			    .soft_days = h->soft_days,
			};
			/* One token names one recipient: only it gets the
			 * contact id. */
			if (r.nrcpts > 1) {
				e.contact_id = 0;
			}
			if ((rc = store_bounce_apply(s, &e, time(NULL), &fx)) <
			    0)
				goto fail;
			if (cls[0] == 'h')
				h->n_hard++;
			else if (cls[0] == 's')
				h->n_soft++;
			if (fx & STORE_EFFECT_SUPPRESSED)
				h->n_suppressed++;
			if (effects)
				json_effect(effects, addr, cls, campaign,
				            e.contact_id, fx);
		}
	} else if (r.kind == BOUNCE_KIND_AUTO_REPLY) {
		out->kind = "auto-reply";
		h->n_auto++;
	} else {
		char from[STORE_ADDRESS_MAX + 1], tok[HEADER_MAX + 1];
		if (unsub_request(msg, len, from, sizeof(from), tok,
		                  sizeof(tok))) {
			match_token(h, tok, &campaign, &contact);
			struct store_bounce_effect e = {
			    .campaign_id = campaign,
			    .contact_id = contact,
			    .address = from,
			    .kind = "unsubscribe",
			    .source = source,
			    .soft_limit = h->soft_limit,
			    .soft_days = h->soft_days,
			};
			if ((rc = store_bounce_apply(s, &e, time(NULL), &fx)) <
			    0)
				goto fail;
			out->kind = "unsubscribe";
			out->dispose = true;
			h->n_unsub++;
			if (effects)
				json_effect(effects, from, "unsubscribe",
				            campaign, contact, fx);
		} else {
			out->kind = "not-bounce";
			h->n_other++;
		}
	}
remember:
	if (seen_box != NULL) {
		int state = out->dispose && will_dispose ? STORE_SEEN_HANDLED
		                                         : STORE_SEEN_DONE;
		if ((rc = store_mailbox_seen_put(s, seen_box, seen_uid, state,
		                                 out->kind, time(NULL))) < 0)
			goto fail;
	}
	if ((rc = store_commit(s)) < 0)
		goto fail;
	bounce_result_fini(&r);
	return 0;
fail:
	store_rollback(s);
	bounce_result_fini(&r);
	return rc;
}

/* Options shared by fetch and ingest; returns 0, or an exit status. */
static int
handler_option(struct handler *h, int ch, const char *arg, const char *cmd)
{
	long v;
	char err[256];

	switch (ch) {
	case 'T':
		if (token_key_load(&h->key, arg, err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: bounces %s: %s\n", cmd, err);
			return EX_CONFIG;
		}
		h->have_key = true;
		return 0;
	case 'N':
		if (!cli_parse_long(arg, 1, 1000, &v)) {
			fprintf(stderr,
			        "mailcast: bounces %s: --soft-limit wants "
			        "1..1000\n",
			        cmd);
			return EX_USAGE;
		}
		h->soft_limit = (int)v;
		return 0;
	case 'D':
		if (!cli_parse_long(arg, 1, 3650, &v)) {
			fprintf(stderr,
			        "mailcast: bounces %s: --soft-days wants "
			        "1..3650\n",
			        cmd);
			return EX_USAGE;
		}
		h->soft_days = (int)v;
		return 0;
	case 'S':
		if (!cli_parse_long(arg, 1024, BOUNCE_MAX_SIZE, &v)) {
			fprintf(stderr,
			        "mailcast: bounces %s: --max-size wants "
			        "1024..%u\n",
			        cmd, BOUNCE_MAX_SIZE);
			return EX_USAGE;
		}
		h->max_size = (size_t)v;
		return 0;
	case 'j':
		h->json = true;
		return 0;
	default:
		return EX_USAGE;
	}
}

/* Print one handled message (JSON line, or a line for a person). */
static void
print_handled(const struct handler *h, const char *where,
              const struct handled *hd, const char *disposition,
              json_t *effects)
{
	if (h->json) {
		json_t *o = json_object();
		json_object_set_new(o, "message", jstr(where));
		json_object_set_new(o, "kind", jstr(hd->kind));
		if (hd->skip[0])
			json_object_set_new(o, "skipped", jstr(hd->skip));
		json_object_set_new(o, "effects",
		                    effects ? json_incref(effects)
		                            : json_array());
		if (disposition)
			json_object_set_new(o, "disposition",
			                    jstr(disposition));
		char *str = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (str) {
			puts(str);
			free(str);
		}
		json_decref(o);
		return;
	}
	printf("%s: %s%s%s%s%s\n", where, hd->kind, hd->skip[0] ? " (" : "",
	       hd->skip, hd->skip[0] ? ")" : "",
	       disposition ? disposition : "");
}

/* The summary line. */
static void
print_summary(const struct handler *h, const char *what)
{
	fprintf(h->json ? stderr : stdout,
	        "%s: %lu bounces (%lu hard, %lu soft recipients), %lu "
	        "complaints, %lu unsubscribe requests, %lu auto-replies, "
	        "%lu other, %lu skipped, %lu already handled; %lu newly "
	        "suppressed, %lu moved or deleted\n",
	        what, h->n_bounce, h->n_hard, h->n_soft, h->n_complaint,
	        h->n_unsub, h->n_auto, h->n_other, h->n_skipped, h->n_seen,
	        h->n_suppressed, h->n_disposed);
}

/* `mailcast bounces ingest`: one message on stdin. */
static int
bounces_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"token-key", required_argument, NULL, 'T'},
	    {"soft-limit", required_argument, NULL, 'N'},
	    {"soft-days", required_argument, NULL, 'D'},
	    {"max-size", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct handler h = {.soft_limit = SOFT_LIMIT_DEFAULT,
	                    .soft_days = SOFT_DAYS_DEFAULT,
	                    .max_size = BOUNCE_MAX_SIZE,
	                    .json = cli_globals.json};
	unsigned char *data = NULL;
	size_t len;
	char err[256], msgid[HEADER_MAX + 1], uid[HEADER_MAX + 16];
	struct handled hd;
	json_t *effects = NULL;
	int ch, rc, status = EX_OK, state;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			bounces_usage(stdout);
			return EX_OK;
		}
		if ((rc = handler_option(&h, ch, optarg, "ingest")) != 0) {
			if (rc == EX_USAGE && ch == '?')
				bounces_usage(stderr);
			return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailcast: bounces ingest: reads one message "
		                "on stdin, no FILE\n");
		return EX_USAGE;
	}
	if (cli_read_file("-", h.max_size, &data, &len, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "mailcast: bounces ingest: %s\n", err);
		return EX_DATAERR;
	}
	if (len == 0) {
		fprintf(stderr, "mailcast: bounces ingest: empty message\n");
		free(data);
		return EX_DATAERR;
	}
	if (!h.have_key) {
		static const unsigned char demo[TOKEN_KEY_MIN];
		token_key_set(&h.key, demo, sizeof(demo));
		h.have_key = true;
	}
	if ((h.store = cli_store_open("bounces ingest")) == NULL) {
		free(data);
		return EX_TEMPFAIL; /* the MTA keeps the message */
	}
	/* The Message-ID keeps a retried delivery from counting twice. */
	uid[0] = '\0';
	if (header_get((char *)data, len, "Message-ID", msgid, sizeof(msgid)) &&
	    msgid[0]) {
		mc_strlcpy(uid, msgid, sizeof(uid));
		rc = store_mailbox_seen_get(h.store, "ingest", uid, &state);
		if (rc == 0) {
			hd = (struct handled){.kind = "already-handled"};
			print_handled(&h, "stdin", &hd, NULL, NULL);
			goto done;
		}
		if (rc != MC_ENOTFOUND) {
			fprintf(stderr, "mailcast: bounces ingest: %s\n",
			        store_error(h.store));
			status = EX_TEMPFAIL;
			goto done;
		}
	}
	if (h.json)
		effects = json_array();
	rc = handle_message(&h, (char *)data, len, "stdin",
	                    uid[0] ? "ingest" : NULL, uid, false, &hd, effects);
	if (rc < 0) {
		fprintf(stderr,
		        "mailcast: bounces ingest: the store failed (%s); "
		        "the MTA should retry\n",
		        store_error(h.store));
		status = EX_TEMPFAIL;
		goto done;
	}
	print_handled(&h, "stdin", &hd, NULL, effects);
	if (hd.skip[0]) {
		fprintf(stderr, "mailcast: bounces ingest: skipped: %s\n",
		        hd.skip);
		status = EX_DATAERR;
	}
done:
	json_decref(effects);
	store_close(h.store);
	free(data);
	token_key_wipe(&h.key);
	return status;
}

/* A parsed mailbox URL. */
struct mailbox_url {
	enum mailbox_proto proto;
	bool implicit;
	char user[256];
	char host[256];
	int port;
	char folder[IMAP_MAILBOX_MAX + 1];
};

/* Decode %XX escapes in place; false on a bad one. */
static bool
pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) ||
			    !isxdigit((unsigned char)s[2]))
				return false;
			char hex[3] = {s[1], s[2], 0};
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return true;
}

/* Parse pop3[s]://USER@HOST[:PORT] or imap[s]://USER@HOST[:PORT][/FOLDER]. */
static int
parse_mailbox_url(const char *url, struct mailbox_url *u, char *err,
                  size_t errsz)
{
	static const struct {
		const char *scheme;
		enum mailbox_proto proto;
		bool implicit;
		int port;
	} schemes[] = {
	    {"pop3://", MAILBOX_POP3, false, 110},
	    {"pop3s://", MAILBOX_POP3, true, 995},
	    {"imap://", MAILBOX_IMAP, false, 143},
	    {"imaps://", MAILBOX_IMAP, true, 993},
	};
	const char *rest = NULL, *at, *slash;
	char hostport[300];

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].scheme);
		if (strncasecmp(url, schemes[i].scheme, n) == 0) {
			rest = url + n;
			u->proto = schemes[i].proto;
			u->implicit = schemes[i].implicit;
			u->port = schemes[i].port;
		}
	}
	if (rest == NULL) {
		snprintf(err, errsz,
		         "--mailbox '%s': the URL must start with pop3://, "
		         "pop3s://, imap:// or imaps://",
		         url);
		return MC_EINVAL;
	}
	slash = strchr(rest, '/');
	size_t hl = slash ? (size_t)(slash - rest) : strlen(rest);
	at = NULL;
	for (size_t i = 0; i < hl; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (at == NULL || at == rest) {
		snprintf(err, errsz,
		         "--mailbox '%s': the user is missing "
		         "(pop3://USER@HOST)",
		         url);
		return MC_EINVAL;
	}
	if ((size_t)(at - rest) >= sizeof(u->user) ||
	    hl - (size_t)(at - rest) >= sizeof(hostport)) {
		snprintf(err, errsz, "--mailbox: the URL is too long");
		return MC_EINVAL;
	}
	memcpy(u->user, rest, (size_t)(at - rest));
	u->user[at - rest] = '\0';
	if (strchr(u->user, ':')) {
		snprintf(err, errsz,
		         "--mailbox: no password in the URL, please: use "
		         "--password-file or MAILCAST_MAILBOX_PASSWORD");
		return MC_EINVAL;
	}
	if (!pct_decode(u->user)) {
		snprintf(err, errsz, "--mailbox: a bad %%-escape in the user");
		return MC_EINVAL;
	}
	memcpy(hostport, at + 1, hl - (size_t)(at - rest) - 1);
	hostport[hl - (size_t)(at - rest) - 1] = '\0';
	if (net_parse_hostport(hostport, u->port, u->host, sizeof(u->host),
	                       &u->port) != 0 ||
	    u->host[0] == '\0' || u->port < 1 || u->port > 65535) {
		snprintf(err, errsz, "--mailbox '%s': a bad host or port", url);
		return MC_EINVAL;
	}
	mc_strlcpy(u->folder, "INBOX", sizeof(u->folder));
	if (slash && slash[1]) {
		if (u->proto == MAILBOX_POP3) {
			snprintf(err, errsz,
			         "--mailbox: POP3 has no folders ('%s')",
			         slash + 1);
			return MC_EINVAL;
		}
		if (strlen(slash + 1) >= sizeof(u->folder)) {
			snprintf(err, errsz,
			         "--mailbox: the folder name is "
			         "too long");
			return MC_EINVAL;
		}
		mc_strlcpy(u->folder, slash + 1, sizeof(u->folder));
		if (!pct_decode(u->folder)) {
			snprintf(err, errsz,
			         "--mailbox: a bad %%-escape in the folder");
			return MC_EINVAL;
		}
	}
	return 0;
}

/* Fetch options beyond the handler's. */
struct fetch_opts {
	struct mailbox_url url;
	const char *move_to; /* NULL: delete or keep */
	bool del, keep, idle;
	long idle_max; /* seconds, 0: forever */
	bool progress;
	char key[560]; /* the mailbox memory's key prefix */
};

/* Show progress on a terminal. */
static void
progress(const struct fetch_opts *fo, size_t i, size_t n)
{
	if (fo->progress)
		fprintf(stderr, "\rmailcast: bounces fetch: %zu/%zu messages",
		        i, n);
}

/* The exit status for a failure of the mailbox session. */
static int
session_status(int err)
{
	switch (err) {
	case MC_EAUTH:
		return EX_NOPERM;
	case MC_ECLOSED:
	case MC_ETIMEDOUT:
	case MC_ECONN:
	case MC_ECONNREFUSED:
	case MC_ETEMPFAIL:
		return EX_TEMPFAIL;
	default:
		return mc_exit_code(err);
	}
}

/* What the mailbox memory says of a message (seen_check). */
enum seen {
	SEEN_NEW,     /* not handled yet: fetch it */
	SEEN_DONE,    /* handled and disposed of: skip */
	SEEN_DISPOSE, /* handled, its move or deletion not confirmed */
};

/* Look key/uid up in the mailbox memory; counts what it skips.  Returns
 * a SEEN_* or a negative store error. */
static int
seen_check(struct handler *h, const char *key, const char *uid)
{
	int state, rc = store_mailbox_seen_get(h->store, key, uid, &state);

	if (rc == MC_ENOTFOUND)
		return SEEN_NEW;
	if (rc < 0)
		return rc;
	h->n_seen++;
	return state == STORE_SEEN_DONE ? SEEN_DONE : SEEN_DISPOSE;
}

/*
 * A fetched message: too big (truncated) is remembered as skipped with the
 * reason, otherwise it is handled (handle_message).  Returns 0 or a store
 * error.
 */
static int
handle_fetched(struct handler *h, const char *key, const char *uid,
               const char *where, const void *data, size_t len, bool truncated,
               unsigned long long size, bool dispose, struct handled *hd,
               json_t *effects)
{
	if (!truncated)
		return handle_message(h, data, len, where, key, uid, dispose,
		                      hd, effects);
	*hd = (struct handled){.kind = "skipped"};
	if (size)
		snprintf(hd->skip, sizeof(hd->skip),
		         "message of %llu bytes over the limit of %zu", size,
		         h->max_size);
	else
		snprintf(hd->skip, sizeof(hd->skip),
		         "message over the limit of %zu bytes", h->max_size);
	h->n_skipped++;
	return store_mailbox_seen_put(h->store, key, uid, STORE_SEEN_DONE,
	                              "skipped", time(NULL));
}

/* POP3: every message not yet handled. */
static int
fetch_pop3(struct handler *h, struct fetch_opts *fo, struct mailbox_conn *mc)
{
	struct store *s = h->store;
	struct pop3_event ev;
	const struct pop3_entry *ents;
	struct pop3_entry *list = NULL;
	size_t n, ndel = 0;
	char(*deleted)[POP3_UID_MAX + 1] = NULL;
	int rc, state;

	if ((rc = mailbox_conn_pop3(mc, POP3_CMD_UIDL, 0, 0, &ev)) < 0)
		goto lost;
	if (!ev.ok) {
		fprintf(stderr,
		        "mailcast: bounces fetch: the server refuses UIDL "
		        "(%s): without it messages cannot be remembered\n",
		        ev.text);
		return EX_UNAVAILABLE;
	}
	ents = pop3_client_entries(mailbox_conn_pop3_core(mc), &n);
	/* A copy (the core's list is valid only until its next call); one
	 * spare element so that an empty list is still an allocation. */
	list = xcalloc(n + 1, sizeof(*list));
	if (n)
		memcpy(list, ents, n * sizeof(*ents));
	deleted = xcalloc(n + 1, sizeof(*deleted));
	for (size_t i = 0; i < n; i++) {
		const struct pop3_entry *e = &list[i];
		struct handled hd;
		json_t *effects = h->json ? json_array() : NULL;
		char where[POP3_UID_MAX + 64];
		const char *disp = NULL;

		progress(fo, i + 1, n);
		snprintf(where, sizeof(where), "uidl:%s", e->uid);
		if ((state = seen_check(h, fo->key, e->uid)) < 0) {
			rc = state;
			json_decref(effects);
			goto store_fail;
		}
		if (state == SEEN_DONE) {
			json_decref(effects);
			continue;
		}
		if (state == SEEN_DISPOSE) {
			/* Handled before, its deletion not confirmed. */
			hd = (struct handled){.kind = "already-handled",
			                      .dispose = true};
		} else {
			if ((rc = mailbox_conn_pop3(mc, POP3_CMD_RETR, e->msgno,
			                            0, &ev)) < 0) {
				json_decref(effects);
				goto lost;
			}
			if (!ev.ok) {
				fprintf(stderr,
				        "mailcast: bounces fetch: RETR %lu: "
				        "%s\n",
				        e->msgno, ev.text);
				json_decref(effects);
				continue;
			}
			rc = handle_fetched(h, fo->key, e->uid, where, ev.data,
			                    ev.data_len, ev.truncated, 0,
			                    fo->del, &hd, effects);
			if (rc < 0) {
				json_decref(effects);
				goto store_fail;
			}
		}
		if (hd.dispose && fo->del) {
			if ((rc = mailbox_conn_pop3(mc, POP3_CMD_DELE, e->msgno,
			                            0, &ev)) < 0) {
				json_decref(effects);
				goto lost;
			}
			if (ev.ok) {
				mc_strlcpy(deleted[ndel++], e->uid,
				           sizeof(deleted[0]));
				disp = " -> deleted";
			}
		}
		print_handled(h, where, &hd, disp, effects);
		json_decref(effects);
	}
	/* Deletions happen at QUIT (RFC 1939 UPDATE state): only then are
	 * they done. */
	if ((rc = mailbox_conn_pop3(mc, POP3_CMD_QUIT, 0, 0, &ev)) < 0 ||
	    !ev.ok) {
		rc = rc < 0 ? rc : MC_EPROTO;
		goto lost;
	}
	for (size_t i = 0; i < ndel; i++) {
		if ((rc = store_mailbox_seen_put(s, fo->key, deleted[i],
		                                 STORE_SEEN_DONE, NULL,
		                                 time(NULL))) < 0)
			goto store_fail;
		h->n_disposed++;
	}
	free(list);
	free(deleted);
	return EX_OK;
lost:
	fprintf(stderr,
	        "\nmailcast: bounces fetch: the session ended: %s (what was "
	        "handled is remembered; run again to go on)\n",
	        mailbox_conn_error(mc)[0] ? mailbox_conn_error(mc)
	                                  : mc_strerror(rc));
	free(list);
	free(deleted);
	return session_status(rc);
store_fail:
	fprintf(stderr, "mailcast: bounces fetch: the store failed: %s\n",
	        store_error(s));
	free(list);
	free(deleted);
	return EX_TEMPFAIL;
}

/* IMAP: one pass over the folder. */
static int
fetch_imap_pass(struct handler *h, struct fetch_opts *fo,
                struct mailbox_conn *mc)
{
	struct store *s = h->store;
	struct imap_client *core = mailbox_conn_imap_core(mc);
	struct imap_event ev;
	const uint32_t *u;
	uint32_t *uids = NULL;
	size_t n;
	int rc, state;
	char key[1000];

	if ((rc = mailbox_conn_imap(mc, IMAP_CMD_SELECT, fo->url.folder, NULL,
	                            0, &ev)) < 0)
		goto lost;
	if (!ev.ok) {
		fprintf(stderr, "mailcast: bounces fetch: SELECT %s: %s\n",
		        fo->url.folder, ev.text);
		return EX_UNAVAILABLE;
	}
	snprintf(key, sizeof(key), "%s/%s;UIDVALIDITY=%u", fo->key,
	         fo->url.folder, imap_client_uidvalidity(core));
	if ((rc = mailbox_conn_imap(mc, IMAP_CMD_SEARCH, NULL, "ALL", 0, &ev)) <
	    0)
		goto lost;
	if (!ev.ok) {
		fprintf(stderr, "mailcast: bounces fetch: UID SEARCH: %s\n",
		        ev.text);
		return EX_UNAVAILABLE;
	}
	u = imap_client_uids(core, &n);
	uids = xcalloc(n + 1, sizeof(*uids));
	if (n)
		memcpy(uids, u, n * sizeof(*u));
	for (size_t i = 0; i < n; i++) {
		struct handled hd;
		json_t *effects = h->json ? json_array() : NULL;
		char where[64], uidstr[16];
		const char *disp = NULL;

		progress(fo, i + 1, n);
		snprintf(uidstr, sizeof(uidstr), "%u", uids[i]);
		snprintf(where, sizeof(where), "uid:%u", uids[i]);
		if ((state = seen_check(h, key, uidstr)) < 0) {
			rc = state;
			json_decref(effects);
			goto store_fail;
		}
		if (state == SEEN_DONE) {
			json_decref(effects);
			continue;
		}
		if (state == SEEN_DISPOSE) {
			hd = (struct handled){.kind = "already-handled",
			                      .dispose = true};
		} else {
			if ((rc = mailbox_conn_imap(mc, IMAP_CMD_FETCH, NULL,
			                            NULL, uids[i], &ev)) < 0) {
				json_decref(effects);
				goto lost;
			}
			if (!ev.ok || (ev.data == NULL && !ev.truncated)) {
				/* Gone meanwhile (expunged by another). */
				json_decref(effects);
				continue;
			}
			rc = handle_fetched(
			    h, key, uidstr, where, ev.data, ev.data_len,
			    ev.truncated, (unsigned long long)ev.size,
			    fo->del || fo->move_to != NULL, &hd, effects);
			if (rc < 0) {
				json_decref(effects);
				goto store_fail;
			}
		}
		if (hd.dispose && (fo->del || fo->move_to)) {
			rc = mailbox_conn_imap(
			    mc, fo->del ? IMAP_CMD_DELETE : IMAP_CMD_MOVE,
			    fo->move_to, NULL, uids[i], &ev);
			if (rc < 0) {
				json_decref(effects);
				goto lost;
			}
			if (ev.ok) {
				rc = store_mailbox_seen_put(s, key, uidstr,
				                            STORE_SEEN_DONE,
				                            NULL, time(NULL));
				if (rc < 0) {
					json_decref(effects);
					goto store_fail;
				}
				h->n_disposed++;
				disp = fo->del ? " -> deleted" : " -> moved";
			} else {
				fprintf(stderr,
				        "mailcast: bounces fetch: cannot %s "
				        "UID %u: %s\n",
				        fo->del ? "delete" : "move", uids[i],
				        ev.text);
			}
		}
		print_handled(h, where, &hd, disp, effects);
		json_decref(effects);
	}
	free(uids);
	return EX_OK;
lost:
	fprintf(stderr,
	        "\nmailcast: bounces fetch: the session ended: %s (what was "
	        "handled is remembered; run again to go on)\n",
	        mailbox_conn_error(mc)[0] ? mailbox_conn_error(mc)
	                                  : mc_strerror(rc));
	free(uids);
	return session_status(rc);
store_fail:
	fprintf(stderr, "mailcast: bounces fetch: the store failed: %s\n",
	        store_error(s));
	free(uids);
	return EX_TEMPFAIL;
}

/* IMAP: a pass, then (with --idle) IDLE and a pass on each wake. */
static int
fetch_imap(struct handler *h, struct fetch_opts *fo, struct mailbox_conn *mc)
{
	struct imap_event ev;
	int rc, status;
	time_t end = fo->idle_max ? time(NULL) + fo->idle_max : 0;

	if (fo->move_to) {
		rc = mailbox_conn_imap(mc, IMAP_CMD_CREATE, fo->move_to, NULL,
		                       0, &ev);
		if (rc < 0)
			return session_status(rc);
		/* A NO here is fine: it exists (not every server says
		 * ALREADYEXISTS); a real problem shows at the move. */
	}
	if ((status = fetch_imap_pass(h, fo, mc)) != EX_OK || !fo->idle)
		return status;
	if (!imap_client_has_capability(mailbox_conn_imap_core(mc), "IDLE")) {
		fprintf(stderr, "mailcast: bounces fetch: the server does not "
		                "offer IDLE\n");
		return EX_UNAVAILABLE;
	}
	for (;;) {
		bool woke;
		uint32_t ms = IDLE_PERIOD_MS;
		if (end) {
			time_t now = time(NULL);
			if (now >= end)
				return EX_OK;
			if ((uint64_t)(end - now) * 1000 < ms)
				ms = (uint32_t)(end - now) * 1000;
		}
		log_info("bounces fetch: waiting for new mail (IDLE)");
		if ((rc = mailbox_conn_idle(mc, ms, &woke)) < 0) {
			fprintf(stderr,
			        "mailcast: bounces fetch: the session ended "
			        "while idle: %s\n",
			        mailbox_conn_error(mc));
			return session_status(rc);
		}
		if (woke && (status = fetch_imap_pass(h, fo, mc)) != EX_OK)
			return status;
	}
}

/* `mailcast bounces fetch --mailbox URL`. */
static int
bounces_fetch(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mailbox", required_argument, NULL, 'm'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"starttls", no_argument, NULL, 's'},
	    {"ca-file", required_argument, NULL, 'c'},
	    {"tls-verify", required_argument, NULL, 'v'},
	    {"auth", required_argument, NULL, 'a'},
	    {"allow-cleartext-auth", no_argument, NULL, 'A'},
	    {"move-to", required_argument, NULL, 'M'},
	    {"delete", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'k'},
	    {"idle", no_argument, NULL, 'i'},
	    {"idle-max", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 't'},
	    {"token-key", required_argument, NULL, 'T'},
	    {"soft-limit", required_argument, NULL, 'N'},
	    {"soft-days", required_argument, NULL, 'D'},
	    {"max-size", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct handler h = {.soft_limit = SOFT_LIMIT_DEFAULT,
	                    .soft_days = SOFT_DAYS_DEFAULT,
	                    .max_size = BOUNCE_MAX_SIZE,
	                    .json = cli_globals.json};
	struct fetch_opts fo = {0};
	struct mailbox_conn_config cfg = {0};
	struct mailbox_conn *mc = NULL;
	struct net_addrs addrs;
	const char *url = NULL, *pwfile = NULL, *ca = NULL, *auth = NULL;
	bool starttls = false, verify = true, cleartext = false;
	long timeout = 120;
	char err[1024], secret[1024];
	SSL_CTX *ctx = NULL;
	int ch, rc, status;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			url = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 's':
			starttls = true;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "yes") != 0 &&
			    strcmp(optarg, "no") != 0) {
				fprintf(stderr,
				        "mailcast: bounces fetch: "
				        "--tls-verify wants yes or no\n");
				return EX_USAGE;
			}
			verify = strcmp(optarg, "yes") == 0;
			break;
		case 'a':
			auth = optarg;
			break;
		case 'A':
			cleartext = true;
			break;
		case 'M':
			fo.move_to = optarg;
			break;
		case 'd':
			fo.del = true;
			break;
		case 'k':
			fo.keep = true;
			break;
		case 'i':
			fo.idle = true;
			break;
		case 'I':
			if (!cli_parse_long(optarg, 1, 86400 * 365,
			                    &fo.idle_max)) {
				fprintf(stderr, "mailcast: bounces fetch: "
				                "--idle-max wants seconds\n");
				return EX_USAGE;
			}
			break;
		case 't':
			if (!cli_parse_long(optarg, 1, 3600, &timeout)) {
				fprintf(stderr, "mailcast: bounces fetch: "
				                "--timeout wants 1..3600 s\n");
				return EX_USAGE;
			}
			break;
		case 'h':
			bounces_usage(stdout);
			return EX_OK;
		case '?':
			bounces_usage(stderr);
			return EX_USAGE;
		default:
			if ((rc = handler_option(&h, ch, optarg, "fetch")) != 0)
				return rc;
		}
	}
	if (url == NULL || optind < argc) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n",
		        url ? "unexpected arguments"
		            : "--mailbox URL is needed");
		return EX_USAGE;
	}
	if (parse_mailbox_url(url, &fo.url, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		return EX_USAGE;
	}
	if ((fo.del && fo.keep) || (fo.del && fo.move_to) ||
	    (fo.keep && fo.move_to)) {
		fprintf(stderr, "mailcast: bounces fetch: choose one of "
		                "--move-to, --delete and --keep\n");
		return EX_USAGE;
	}
	if (fo.url.proto == MAILBOX_POP3 && fo.move_to) {
		fprintf(stderr, "mailcast: bounces fetch: POP3 cannot move "
		                "messages: use --delete or --keep\n");
		return EX_USAGE;
	}
	if (fo.url.proto == MAILBOX_IMAP && !fo.del && !fo.keep && !fo.move_to)
		fo.move_to = MOVE_TO_DEFAULT;
	if (fo.idle && fo.url.proto != MAILBOX_IMAP) {
		fprintf(stderr, "mailcast: bounces fetch: --idle needs IMAP\n");
		return EX_USAGE;
	}
	if (starttls && fo.url.implicit) {
		fprintf(stderr, "mailcast: bounces fetch: --starttls is for "
		                "pop3:// and imap://; pop3s:// and imaps:// "
		                "are TLS from the first byte\n");
		return EX_USAGE;
	}
	if (cli_read_secret(pwfile, "MAILCAST_MAILBOX_PASSWORD", secret,
	                    sizeof(secret), err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		return EX_CONFIG;
	}
	if (!h.have_key) {
		static const unsigned char demo[TOKEN_KEY_MIN];
		token_key_set(&h.key, demo, sizeof(demo));
		h.have_key = true;
	}
	cfg.proto = fo.url.proto;
	if (fo.url.implicit || starttls) {
		if ((ctx = tls_client_ctx_new(ca, verify, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
			status = EX_CONFIG;
			goto done;
		}
	}
	if ((rc = net_resolve(fo.url.host, fo.url.port, &addrs, err,
	                      sizeof(err))) != 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		status = EX_NOHOST;
		goto done;
	}
	cfg.addrs = &addrs;
	cfg.tls_ctx = ctx;
	cfg.tls_verify = verify;
	cfg.connect_timeout_ms = (uint32_t)timeout * 1000;
	cfg.pop3 = (struct pop3_client_config){
	    .user = fo.url.user,
	    .secret = secret,
	    .tls = fo.url.implicit ? POP3_TLS_IMPLICIT
	           : starttls      ? POP3_TLS_STLS
	                           : POP3_TLS_NONE,
	    .allow_cleartext = cleartext,
	    .max_message = h.max_size,
	    .timeout_ms = (uint32_t)timeout * 1000,
	};
	cfg.imap = (struct imap_client_config){
	    .user = fo.url.user,
	    .secret = secret,
	    .tls = fo.url.implicit ? IMAP_TLS_IMPLICIT
	           : starttls      ? IMAP_TLS_STARTTLS
	                           : IMAP_TLS_NONE,
	    .allow_cleartext = cleartext,
	    .max_message = h.max_size,
	    .timeout_ms = (uint32_t)timeout * 1000,
	};
	if (auth) {
		enum sasl_mech m = sasl_mech_lookup(auth, strlen(auth));
		if (strcasecmp(auth, "user") == 0 &&
		    fo.url.proto == MAILBOX_POP3) {
			cfg.pop3.auth = POP3_AUTH_USER;
		} else if (strcasecmp(auth, "apop") == 0 &&
		           fo.url.proto == MAILBOX_POP3) {
			cfg.pop3.auth = POP3_AUTH_APOP;
		} else if (m != SASL_NONE) {
			cfg.pop3.auth = POP3_AUTH_SASL;
			cfg.pop3.sasl_mech = m;
			cfg.imap.sasl_mech = m;
		} else {
			fprintf(stderr,
			        "mailcast: bounces fetch: --auth '%s': not "
			        "one of plain, login, cram-md5, xoauth2%s\n",
			        auth,
			        fo.url.proto == MAILBOX_POP3 ? ", user, apop"
			                                     : "");
			status = EX_USAGE;
			goto done;
		}
	}
	/* The memory's key names the mailbox, not the way to it: POP3 and
	 * POP3S (or another port, a proxy) reach the same messages. */
	snprintf(fo.key, sizeof(fo.key), "%s://%s@%s",
	         fo.url.proto == MAILBOX_POP3 ? "pop3" : "imap", fo.url.user,
	         fo.url.host);
	if ((h.store = cli_store_open("bounces fetch")) == NULL) {
		status = cli_store_exit();
		goto done;
	}
	fo.progress = isatty(STDERR_FILENO) && !h.json;
	if ((rc = mailbox_conn_open(&cfg, &mc, err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		status = session_status(rc);
		goto done;
	}
	explicit_bzero(secret, sizeof(secret));
	if (mailbox_conn_tls_info(mc)[0])
		log_info("bounces fetch: %s", mailbox_conn_tls_info(mc));
	status = fo.url.proto == MAILBOX_POP3 ? fetch_pop3(&h, &fo, mc)
	                                      : fetch_imap(&h, &fo, mc);
	if (fo.progress)
		fputc('\n', stderr);
	print_summary(&h, "bounces fetch");
done:
	explicit_bzero(secret, sizeof(secret));
	mailbox_conn_close(mc);
	if (ctx)
		SSL_CTX_free(ctx);
	if (h.store)
		store_close(h.store);
	token_key_wipe(&h.key);
	return status;
}

/* `mailcast bounces SUBCOMMAND ...`. */
int
cmd_bounces(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		bounces_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(argv[1], "parse") == 0)
		return bounces_parse(argc - 1, argv + 1);
	if (strcmp(argv[1], "fetch") == 0)
		return bounces_fetch(argc - 1, argv + 1);
	if (strcmp(argv[1], "ingest") == 0)
		return bounces_ingest(argc - 1, argv + 1);
	fprintf(stderr, "mailcast: bounces: unknown subcommand '%s'\n",
	        argv[1]);
	bounces_usage(stderr);
	return EX_USAGE;
}
