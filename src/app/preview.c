/*
 * preview.c — render one recipient's message; see preview.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/preview.h"
#include "app/secrets.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/token.h"
#include "msg/template.h"
#include "store/csv_read.h"

/* The recipient's fields: names and values, owned. */
struct fields {
	char **names;
	char **own; /* values read from the CSV */
	struct tmpl_value *vals;
	size_t n;
};

/* Fail with code and a reason. */
static int fail(struct app_preview *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct app_preview *out, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->err, sizeof(out->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Fill f from data row `want` of the CSV at path (the header names it). */
static int
read_csv_row(const char *path, unsigned long want, struct fields *f,
             struct app_preview *out)
{
	FILE *fp = fopen(path, "rb");
	struct csv_reader *r;
	struct csv_row row;
	unsigned long seen = 0;
	int rc, ret;

	if (fp == NULL)
		return fail(out, MC_ENOTFOUND, "%s: cannot open", path);
	r = csv_reader_new(fp);
	if ((rc = csv_reader_next(r, &row)) != 0) {
		ret = fail(out, MC_EDATA, "%s: %s", path,
		           rc == 1 ? "empty file (no header row)"
		                   : csv_reader_error(r));
		goto done;
	}
	f->n = row.nfields;
	f->names = xcalloc(row.nfields, sizeof(char *));
	for (size_t i = 0; i < row.nfields; i++)
		f->names[i] = xstrdup(row.fields[i]);
	do {
		rc = csv_reader_next(r, &row);
		if (rc == 1) {
			ret = fail(out, MC_EDATA,
			           "%s: no row %lu (%lu data rows)", path, want,
			           seen);
			goto done;
		}
		if (rc == MC_EIO || rc == MC_EUNSUPP ||
		    (rc != 0 && seen + 1 == want)) {
			ret = fail(out, MC_EDATA, "%s: %s", path,
			           csv_reader_error(r));
			goto done;
		}
	} while (++seen < want);
	f->vals = xcalloc(f->n, sizeof(*f->vals));
	f->own = xcalloc(f->n, sizeof(*f->own));
	for (size_t i = 0; i < row.nfields && i < f->n; i++) {
		f->own[i] = xmemdup(row.fields[i], row.lens[i] + 1);
		f->vals[i].s = f->own[i];
		f->vals[i].len = row.lens[i];
	}
	ret = 0;
done:
	csv_reader_free(r);
	fclose(fp);
	return ret;
}

/* KEY=VALUE over the fields (a new name is added). */
static void
apply_set(struct fields *f, const char *set)
{
	const char *eq = strchr(set, '=');
	size_t kl = (size_t)(eq - set), j;

	for (j = 0; j < f->n; j++)
		if (mc_ieq(set, kl, f->names[j]))
			break;
	if (j == f->n) {
		f->names = xreallocarray(f->names, f->n + 1, sizeof(*f->names));
		f->vals = xreallocarray(f->vals, f->n + 1, sizeof(*f->vals));
		f->own = xreallocarray(f->own, f->n + 1, sizeof(*f->own));
		f->own[f->n] = NULL;
		f->names[f->n++] = xstrndup(set, kl);
	}
	f->vals[j].s = eq + 1;
	f->vals[j].len = strlen(eq + 1);
}

/* The token of (campaign, contact) under the key file or the demo key. */
static int
make_token(const struct app_preview_opts *o, char *tok, size_t toksz,
           struct app_preview *out)
{
	struct token_key tk;
	int rc;

	if (o->token_key != NULL) {
		secret_file_check(o->token_key, "token key");
		if ((rc = token_key_load(&tk, o->token_key, out->err,
		                         sizeof(out->err))) != 0)
			return rc;
	} else {
		static const unsigned char demo[TOKEN_KEY_MIN];
		token_key_set(&tk, demo, sizeof(demo));
		out->demo_key = true;
	}
	token_encode(&tk, o->campaign_id, o->contact_id, tok, toksz);
	token_key_wipe(&tk);
	return 0;
}

/* Sign msg into sig with the keys of o. */
static int
sign(const struct app_preview_opts *o, const struct tmpl *t, time_t now,
     const struct buf *msg, struct buf *sig, struct app_preview *out)
{
	struct dkim_key *dk[DKIM_KEYS_MAX] = {0};
	struct dkim_signer *signer = dkim_signer_new();
	int rc = 0;

	for (size_t i = 0; i < o->ndkim && rc == 0; i++) {
		secret_file_check(o->dkim_key[i], "DKIM key");
		rc = dkim_key_load(
		    o->dkim_key[i],
		    o->dkim_domain ? o->dkim_domain : tmpl_from_domain(t),
		    o->dkim_selector[i], &dk[i], out->err, sizeof(out->err));
		if (rc == 0)
			dkim_signer_add(signer, dk[i]);
	}
	if (rc == 0 &&
	    (rc = dkim_sign(signer, buf_cstr(msg), buf_len(msg), now, sig)))
		fail(out, rc, "%s", dkim_signer_error(signer));
	dkim_signer_free(signer);
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++)
		dkim_key_free(dk[i]);
	return rc;
}

/* Template, token, message, signature. */
static int
render(const struct app_preview_opts *o, struct fields *f, const char *email,
       struct app_preview *out)
{
	struct tmpl_options topt = {
	    .campaign = o->campaign,
	    .unsubscribe_url = o->unsubscribe_url,
	    .unsubscribe_mailto = o->unsubscribe_mailto,
	};
	char tok[TOKEN_MAX + 1];
	struct tmpl *t = NULL;
	struct msg_render *mr = NULL;
	struct buf msg;
	time_t now = o->date ? o->date : time(NULL);
	int rc;

	buf_init(&msg);
	if ((rc = tmpl_load(o->template_path, (const char *const *)f->names,
	                    f->n, &topt, &t, out->err, sizeof(out->err))) !=
	    0) {
		rc = rc == MC_EIO ? MC_ENOTFOUND : rc;
		goto done;
	}
	if ((rc = make_token(o, tok, sizeof(tok), out)) != 0)
		goto done;
	struct msg_recipient rcpt = {
	    .email = email,
	    .token = tok,
	    .campaign_id = o->campaign_id,
	    .contact_id = o->contact_id,
	    .values = f->vals,
	    .nvalues = f->n,
	};
	mr = msg_render_new();
	if ((rc = msg_render_one(mr, t, &rcpt, now, &msg)) != 0) {
		fail(out, rc, "%s", msg_render_error(mr));
		goto done;
	}
	if (o->ndkim > 0 && (rc = sign(o, t, now, &msg, &out->msg, out)) != 0)
		goto done;
	buf_append(&out->msg, buf_data(&msg), buf_len(&msg));
	if (msg_verp_sender(
	        tok, o->bounce_domain ? o->bounce_domain : tmpl_from_domain(t),
	        out->mail_from, sizeof(out->mail_from)) != 0)
		out->mail_from[0] = '\0';
	mc_strlcpy(out->rcpt_to, email, sizeof(out->rcpt_to));
done:
	msg_render_free(mr);
	tmpl_free(t);
	buf_fini(&msg);
	return rc;
}

/* Options that do not go together. */
static int
preview_check(const struct app_preview_opts *o, struct app_preview *out)
{
	for (size_t i = 0; i < o->nsets; i++)
		if (strchr(o->sets[i], '=') == NULL || o->sets[i][0] == '=')
			return fail(out, MC_EINVAL,
			            "--set wants KEY=VALUE, got '%s'",
			            o->sets[i]);
	if ((o->csv == NULL) != (o->row == 0))
		return fail(out, MC_EINVAL, "--csv and --row go together");
	if (o->ndkim > 0 && o->nselectors != o->ndkim)
		return fail(out, MC_EINVAL,
		            "give one --dkim-selector per --dkim-key");
	if (o->ndkim == 0 && (o->nselectors > 0 || o->dkim_domain != NULL))
		return fail(out, MC_EINVAL,
		            "--dkim-selector/--dkim-domain need --dkim-key");
	return 0;
}

/* Render one recipient; see preview.h. */
int
app_preview_render(const struct app_preview_opts *o, struct app_preview *out)
{
	struct fields f = {0};
	const char *email = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&out->msg);
	if ((rc = preview_check(o, out)) != 0)
		return rc;
	if (o->csv != NULL && (rc = read_csv_row(o->csv, o->row, &f, out)) != 0)
		goto done;
	for (size_t i = 0; i < o->nsets; i++)
		apply_set(&f, o->sets[i]);
	/* The address column: --email-column, else the names an import
	 * takes first. */
	for (size_t k = 0; email == NULL && k < (o->email_column ? 1 : 3);
	     k++) {
		static const char *const names[] = {"email", "email address",
		                                    "e-mail"};
		const char *want = o->email_column ? o->email_column : names[k];

		for (size_t j = 0; j < f.n; j++)
			if (strcasecmp(f.names[j], want) == 0)
				email = f.vals[j].s;
	}
	if (email == NULL) {
		rc = fail(out, MC_EINVAL,
		          "no recipient: give --set email=ADDRESS, a CSV "
		          "column 'email' or --email-column");
		goto done;
	}
	rc = render(o, &f, email, out);
done:
	for (size_t i = 0; i < f.n; i++) {
		free(f.names[i]);
		if (f.own != NULL)
			free(f.own[i]);
	}
	free(f.names);
	free(f.own);
	free(f.vals);
	return rc;
}

/* Free the message. */
void
app_preview_fini(struct app_preview *out)
{
	buf_fini(&out->msg);
}
