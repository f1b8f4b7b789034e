/*
 * render_bench.c — messages per second per core for render (+ DKIM sign):
 * a 5 KiB text + HTML template with five merge fields, each message with
 * its own values, token and Message-ID, unsigned, rsa-2048 and ed25519.
 * One thread, timed in its own CPU time, so the figures are per core
 * whatever else the machine runs (wall figures are printed beside them).
 * Built and run by render.sh, which also runs `openssl speed` for the
 * signing ceiling; that divides by user CPU time too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/buf.h"
#include "bounce/token.h"
#include "msg/dkim.h"
#include "msg/template.h"

#define BENCH_SECONDS 2.0 /* CPU seconds per loop */
#define SLICES        20  /* message and ceiling loops alternate */

/* "render_bench MODE COUNT": exactly COUNT messages, no ceiling loop (for
 * callgrind, whose instruction counts are stable on a loaded machine). */
static unsigned long fixed_count;

/* Seconds on a clock. */
static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time. */
static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what "per core" means on a machine shared
 * with other work, and what `openssl speed` divides by (user CPU time
 * unless given -elapsed). */
static double
cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* A 5 KiB template: about 2.5 KiB of text, 2.5 KiB of HTML. */
static char *
make_template(void)
{
	struct buf b;
	static const char para[] =
	    "Our spring programme has something for everyone: workshops on "
	    "Tuesday evenings, a repair cafe on Saturday mornings and the "
	    "annual garden tour in May. Bring a friend; places are limited.\n";
	static const char hpara[] =
	    "<p style=\"margin:0 0 12px 0\">Our spring programme has "
	    "something for everyone: workshops, a repair cafe and the garden "
	    "tour. Bring a friend; places are limited.</p>\n";

	buf_init(&b);
	buf_puts(&b, "From: Example Club <news@example.org>\n"
	             "Subject: {{first_name|Hello}}, the spring programme for "
	             "{{city}}\n"
	             "To: {{first_name}} {{last_name}} <{{email}}>\n\n"
	             "Dear {{first_name|member}} {{last_name}},\n\n");
	while (buf_len(&b) < 2400)
		buf_puts(&b, para);
	buf_puts(&b, "Your plan: {{plan}} in {{city}}.\n"
	             "Unsubscribe: {{unsubscribe_url}}\n%% html\n"
	             "<html><body><p>Dear {{first_name|member}} "
	             "{{last_name}},</p>\n");
	while (buf_len(&b) < 4900)
		buf_puts(&b, hpara);
	buf_puts(&b, "<p>Your plan: {{plan}} in {{city}}.</p><p><a "
	             "href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>"
	             "</body></html>\n");
	return buf_steal(&b, NULL);
}

/* The signing ceiling in this process: the call dkim_sign makes per
 * message and key, on a 32-byte digest, the way `openssl speed` loops it
 * (RSA: EVP_PKEY_sign on a context set up once; Ed25519: one-shot
 * EVP_DigestSign on a context initialised once, or per signature where
 * OpenSSL refuses to sign with it twice). */
struct sign_loop {
	EVP_PKEY *k;
	EVP_PKEY_CTX *pc;
	EVP_MD_CTX *mc;
	bool reuse;
	unsigned long n;
	double cpu, wall;
};

/* Set up a sign_loop for "RSA" (2048 bits) or "ED25519". */
static void
sign_loop_init(struct sign_loop *L, const char *type)
{
	memset(L, 0, sizeof(*L));
	if (strcmp(type, "RSA") == 0) {
		L->k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		L->pc = EVP_PKEY_CTX_new_from_pkey(NULL, L->k, NULL);
		if (L->pc == NULL || EVP_PKEY_sign_init(L->pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(L->pc, RSA_PKCS1_PADDING) !=
		        1 ||
		    EVP_PKEY_CTX_set_signature_md(L->pc, EVP_sha256()) != 1)
			abort();
	} else {
		L->k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		L->mc = EVP_MD_CTX_new();
		if (EVP_DigestSignInit_ex(L->mc, NULL, NULL, NULL, NULL, L->k,
		                          NULL) != 1)
			abort();
		L->reuse = true;
	}
}

/* Sign for secs of CPU time. */
static void
sign_slice(struct sign_loop *L, double secs)
{
	unsigned char h[32] = {1}, sig[512];
	size_t sl;
	double t0 = now_s(), c0 = cpu_s();

	do {
		for (int i = 0; i < 16; i++, L->n++) {
			sl = sizeof(sig);
			if (L->pc != NULL) {
				if (EVP_PKEY_sign(L->pc, sig, &sl, h, 32) != 1)
					abort();
				continue;
			}
			if (L->reuse &&
			    EVP_DigestSign(L->mc, sig, &sl, h, 32) == 1)
				continue;
			ERR_clear_error();
			L->reuse = false;
			sl = sizeof(sig);
			if (EVP_DigestSignInit_ex(L->mc, NULL, NULL, NULL, NULL,
			                          L->k, NULL) != 1 ||
			    EVP_DigestSign(L->mc, sig, &sl, h, 32) != 1)
				abort();
		}
	} while (cpu_s() - c0 < secs);
	L->cpu += cpu_s() - c0;
	L->wall += now_s() - t0;
}

static void
sign_loop_fini(struct sign_loop *L)
{
	EVP_PKEY_CTX_free(L->pc);
	EVP_MD_CTX_free(L->mc);
	EVP_PKEY_free(L->k);
}

/* The message loop: each message with its own values, token, Message-ID
 * and Date, rendered and (with a signer) signed. */
struct msg_loop {
	struct tmpl *t;
	struct dkim_signer *s;
	const struct token_key *tk;
	struct msg_render *r;
	struct buf msg, sig;
	unsigned long n;
	double cpu, wall;
};

/* Render (and sign) for secs of CPU time, or up to fixed_count. */
static void
msg_slice(struct msg_loop *L, double secs)
{
	static const char *const firsts[] = {"Ann", "Bo", "Chloë", "Dirk"};
	static const char *const cities[] = {"Utrecht", "Zürich", "Lyon"};
	char email[64], tok[TOKEN_MAX + 1], last[32];
	double t0 = now_s(), c0 = cpu_s();

	do {
		for (int k = 0; k < 16; k++, L->n++) {
			unsigned long n = L->n;
			snprintf(email, sizeof(email), "user%lu@example.net",
			         n);
			snprintf(last, sizeof(last), "Name%lu", n);
			token_encode(L->tk, 7, n, tok, sizeof(tok));
			struct tmpl_value vals[4] = {
			    {firsts[n & 3], strlen(firsts[n & 3])},
			    {last, strlen(last)},
			    {cities[n % 3], strlen(cities[n % 3])},
			    {"Gold", 4}};
			struct msg_recipient rc = {email, tok, 7, n, vals, 4};
			buf_reset(&L->msg);
			buf_reset(&L->sig);
			if (msg_render_one(L->r, L->t, &rc,
			                   1700000000 + (time_t)n,
			                   &L->msg) != 0)
				abort();
			if (L->s != NULL &&
			    dkim_sign(L->s, buf_cstr(&L->msg), buf_len(&L->msg),
			              1700000000, &L->sig) != 0)
				abort();
		}
	} while (fixed_count ? L->n < fixed_count : cpu_s() - c0 < secs);
	L->cpu += cpu_s() - c0;
	L->wall += now_s() - t0;
}

/* Run one mode; with a ceiling type the message loop and the ceiling
 * loop alternate in SLICES slices, so both see the same machine load.
 * Returns messages per CPU second, *ceil signatures per CPU second. */
static double
run(const char *label, struct tmpl *t, struct dkim_signer *s,
    const struct token_key *tk, const char *ceil_type, double *ceil)
{
	struct msg_loop L = {t, s, tk, msg_render_new(), {0}, {0}, 0, 0, 0};
	struct sign_loop S;
	int slices = ceil_type != NULL && fixed_count == 0 ? SLICES : 1;

	buf_init(&L.msg);
	buf_init(&L.sig);
	if (ceil_type != NULL)
		sign_loop_init(&S, ceil_type);
	for (int i = 0; i < slices; i++) {
		msg_slice(&L, BENCH_SECONDS / slices);
		if (ceil_type != NULL && fixed_count == 0)
			sign_slice(&S, BENCH_SECONDS / slices);
	}
	printf("%-10s %9.0f msgs/s per core (per CPU second; %.0f/s wall, "
	       "%lu messages, %zu bytes each)\n",
	       label, (double)L.n / L.cpu, (double)L.n / L.wall, L.n,
	       buf_len(&L.msg) + buf_len(&L.sig));
	*ceil = 0;
	if (ceil_type != NULL && fixed_count == 0) {
		*ceil = (double)S.n / S.cpu;
		printf("%-10s %9.0f sign/s per CPU second (in-process ceiling: "
		       "the signing call alone, in %d slices between the "
		       "loop's; %.0f/s wall)\n",
		       ceil_type, *ceil, slices, (double)S.n / S.wall);
	}
	if (ceil_type != NULL)
		sign_loop_fini(&S);
	buf_fini(&L.msg);
	buf_fini(&L.sig);
	msg_render_free(L.r);
	return (double)L.n / L.cpu;
}

int
main(int argc, char **argv)
{
	static const char *const fields[] = {"first_name", "last_name", "city",
	                                     "plan"};
	char err[512], dir[] = "/tmp/mc_bench.XXXXXX", p1[64], p2[64];
	struct tmpl *t;
	struct dkim_key *rsa, *ed;
	struct token_key tk;
	unsigned char kb[32] = {1};
	char *src = make_template();

	/* "render_bench unsigned|rsa|ed25519" runs one loop (profiling). */
	const char *only = argc > 1 ? argv[1] : NULL;
	if (argc > 2)
		fixed_count = strtoul(argv[2], NULL, 10);
	printf("template: %zu bytes, merge fields first_name last_name city "
	       "plan unsubscribe_url (+ email)\n",
	       strlen(src));
	if (tmpl_compile("bench", src, strlen(src), fields, 4, NULL, NULL, &t,
	                 err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	token_key_set(&tk, kb, sizeof(kb));
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(p1, sizeof(p1), "%s/rsa.pem", dir);
	snprintf(p2, sizeof(p2), "%s/ed.pem", dir);
	if (dkim_key_generate(DKIM_RSA_SHA256, 2048, p1, "example.org", "r",
	                      &rsa, err, sizeof(err)) != 0 ||
	    dkim_key_generate(DKIM_ED25519_SHA256, 0, p2, "example.org", "e",
	                      &ed, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	struct dkim_signer *srsa = dkim_signer_new(), *sed = dkim_signer_new();
	dkim_signer_add(srsa, rsa);
	dkim_signer_add(sed, ed);
	double u = 0, r = 0, e = 0, rc = 0, ec = 0, none;
	if (only == NULL || strcmp(only, "unsigned") == 0)
		u = run("unsigned", t, NULL, &tk, NULL, &none);
	if (only == NULL || strcmp(only, "rsa") == 0)
		r = run("rsa-2048", t, srsa, &tk, "RSA", &rc);
	if (only == NULL || strcmp(only, "ed25519") == 0)
		e = run("ed25519", t, sed, &tk, "ED25519", &ec);
	printf("RESULT unsigned=%.0f rsa2048=%.0f ed25519=%.0f "
	       "rsa_ceiling=%.0f ed_ceiling=%.0f\n",
	       u, r, e, rc, ec);
	dkim_signer_free(srsa);
	dkim_signer_free(sed);
	dkim_key_free(rsa);
	dkim_key_free(ed);
	tmpl_free(t);
	free(src);
	return 0;
}
