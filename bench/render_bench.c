/*
 * render_bench.c — messages per second per core for render (+ DKIM sign):
 * a 5 KiB text + HTML template with five merge fields, each message with
 * its own values, token and Message-ID, unsigned, rsa-2048 and ed25519.
 * One thread, so the figures are per core.  Built and run by render.sh,
 * which also runs `openssl speed` for the signing ceiling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "bounce/token.h"
#include "msg/dkim.h"
#include "msg/template.h"

#define BENCH_SECONDS 2.0

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* The signing ceiling in this process, now: signatures per second over a
 * 32-byte digest with the same key type (what dkim_sign does per message),
 * for comparison under the same machine load as the loop just run. */
static double
ceiling(const char *type)
{
	EVP_PKEY *k = strcmp(type, "RSA") == 0
	                  ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	                  : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char h[32] = {1}, sig[512];
	size_t sl;
	unsigned long n = 0;
	double t0 = now_s(), el;

	do {
		for (int i = 0; i < 16; i++, n++) {
			sl = sizeof(sig);
			if (EVP_DigestSignInit_ex(
			        c, NULL,
			        strcmp(type, "RSA") == 0 ? "SHA256" : NULL,
			        NULL, NULL, k, NULL) != 1 ||
			    EVP_DigestSign(c, sig, &sl, h, sizeof(h)) != 1)
				abort();
		}
		el = now_s() - t0;
	} while (el < BENCH_SECONDS);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	printf("%-10s %9.0f sign/s (in-process ceiling, same OpenSSL calls)\n",
	       type, (double)n / el);
	return (double)n / el;
}

/* Run the loop for BENCH_SECONDS; returns messages per second. */
static double
run(const char *label, struct tmpl *t, struct dkim_signer *s,
    const struct token_key *tk, size_t *bytes)
{
	static const char *const firsts[] = {"Ann", "Bo", "Chloë", "Dirk"};
	static const char *const cities[] = {"Utrecht", "Zürich", "Lyon"};
	struct msg_render *r = msg_render_new();
	struct buf msg, sig;
	char email[64], tok[TOKEN_MAX + 1], last[32];
	double t0 = now_s(), el;
	unsigned long n = 0;

	buf_init(&msg);
	buf_init(&sig);
	do {
		for (int k = 0; k < 64; k++, n++) {
			snprintf(email, sizeof(email), "user%lu@example.net",
			         n);
			snprintf(last, sizeof(last), "Name%lu", n);
			token_encode(tk, 7, n, tok, sizeof(tok));
			struct tmpl_value vals[4] = {
			    {firsts[n & 3], strlen(firsts[n & 3])},
			    {last, strlen(last)},
			    {cities[n % 3], strlen(cities[n % 3])},
			    {"Gold", 4}};
			struct msg_recipient rc = {email, tok, 7, n, vals, 4};
			buf_reset(&msg);
			buf_reset(&sig);
			if (msg_render_one(r, t, &rc, 1700000000 + (time_t)n,
			                   &msg) != 0)
				abort();
			if (s != NULL &&
			    dkim_sign(s, buf_cstr(&msg), buf_len(&msg),
			              1700000000, &sig) != 0)
				abort();
		}
		el = now_s() - t0;
	} while (el < BENCH_SECONDS);
	*bytes = buf_len(&msg) + buf_len(&sig);
	printf("%-10s %9.0f msgs/s per core  (%lu messages, %zu bytes each)\n",
	       label, (double)n / el, n, *bytes);
	buf_fini(&msg);
	buf_fini(&sig);
	msg_render_free(r);
	return (double)n / el;
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
	size_t bytes;
	char *src = make_template();

	/* "render_bench unsigned|rsa|ed25519" runs one loop (profiling). */
	const char *only = argc > 1 ? argv[1] : NULL;
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
	double u = 0, r = 0, e = 0;
	if (only == NULL || strcmp(only, "unsigned") == 0)
		u = run("unsigned", t, NULL, &tk, &bytes);
	double rc = 0, ec = 0;
	if (only == NULL || strcmp(only, "rsa") == 0) {
		r = run("rsa-2048", t, srsa, &tk, &bytes);
		rc = ceiling("RSA");
	}
	if (only == NULL || strcmp(only, "ed25519") == 0) {
		e = run("ed25519", t, sed, &tk, &bytes);
		ec = ceiling("ED25519");
	}
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
