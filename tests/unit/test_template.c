/*
 * test_template.c — the template compiler's errors (file and line), merge
 * values that try to add headers or parts, defaults, HTML escaping, the
 * MIME encoders and the DKIM body hash; and that the fast ways of
 * rendering and hashing (compiled literals, pieces judged apart, a body
 * hashed where it lies) give the octets the plain ways give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/error.h"
#include "msg/dkim.h"
#include "msg/mime.h"
#include "msg/template.h"

static const char *const fields[] = {"first_name", "last_name"};

/* Compile src; return the error text ("" on success). */
static const char *
compile_err(const char *src, int *rc)
{
	static char err[TMPL_ERR_MAX];
	struct tmpl *t = NULL;

	*rc = tmpl_compile("t.tmpl", src, strlen(src), fields, 2, NULL, NULL,
	                   &t, err, sizeof(err));
	if (*rc == 0)
		err[0] = '\0';
	tmpl_free(t);
	return err;
}

static void
test_compile_errors(void **state)
{
	static const struct {
		const char *src, *want;
	} v[] = {
	    {"From: a@example.org\nSubject: x\n\nline 4\nHi {{frist_name}}\n",
	     "t.tmpl:5: unknown field 'frist_name' and no default"},
	    {"From: a@example.org\nSubject: Hi {{nope}}\n\nx\n",
	     "t.tmpl:2: unknown field 'nope'"},
	    {"From: a@example.org\nSubject: x\n\nx\n%% html\n\n<p>{{ bad;name "
	     "}}\n",
	     "t.tmpl:7: bad merge field name 'bad;name'"},
	    {"From: a@example.org\nSubject: x\n\nHi {{ First  Name }}\n",
	     "t.tmpl:4: unknown field 'First  Name' and no default"},
	    {"From: a@example.org\nSubject: x\n\nHi {{first_name\n",
	     "t.tmpl:4: '{{' without '}}' on the same line"},
	    {"Subject: x\n\nbody\n", "t.tmpl:1: missing header From"},
	    {"From: a@example.org\n\nbody\n",
	     "t.tmpl:1: missing header Subject"},
	    {"From: nobody\nSubject: x\n\nbody\n",
	     "t.tmpl:1: From: no '@' in address"},
	    {"From: a@example.org\nSubject: x\nDate: today\n\nbody\n",
	     "t.tmpl:3: header Date is written by mailcast"},
	    {"From: a@example.org\nSubject: x\nthis is not a header\n\nb\n",
	     "t.tmpl:3: expected a header 'Name: value'"},
	    {"From: a@example.org\nSubject: x\n\nb\n%% pdf\n",
	     "t.tmpl:5: unknown section '%% pdf'"},
	    {"From: a@example.org\nSubject: x\n\n\n%% html\n<p>x</p>\n",
	     "the text body is empty"},
	    {"From: a@example.org\nSubject: x\nTo: {{first_name}}\n\nb\n",
	     "t.tmpl:3: To: must be '{{email}}' or 'NAME <{{email}}>'"},
	    {"From: {{first_name}} <a@example.org>\nSubject: x\n\nb\n",
	     "t.tmpl:1: From: merge fields are not allowed here"},
	    {"From: a@example.org\nSubject: x\nAttach: "
	     "/nonexistent/f.pdf\n\nb\n",
	     "t.tmpl:3: Attach: /nonexistent/f.pdf: No such file"},
	    {"From: a@example.org\nSubject: x\n\nb \xff\n",
	     "t.tmpl:4: invalid UTF-8"},
	    {"From: a@example.org\nSubject: x\nbody without blank line\n",
	     "t.tmpl:3: expected a header"},
	};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *got = compile_err(v[i].src, &rc);
		if (rc == 0 || strstr(got, v[i].want) == NULL)
			fail_msg("case %zu: rc %d '%s', want '%s'", i, rc, got,
			         v[i].want);
	}
	/* A default makes an unknown field fine; so does a known one. */
	assert_string_equal(compile_err("From: a@example.org\nSubject: "
	                                "{{x|y}}\n\nHi {{First_Name}}\n",
	                                &rc),
	                    "");
	assert_int_equal(rc, 0);
}

/* Render src for one recipient with the given first_name / last_name. */
static char *
render(const char *src, const char *first, size_t flen, const char *last,
       size_t llen)
{
	char err[TMPL_ERR_MAX];
	struct tmpl *t;
	struct msg_render *r = msg_render_new();
	struct tmpl_value vals[2] = {{first, flen}, {last, llen}};
	struct msg_recipient rc = {
	    "jo@example.org", "abc234", 1, 2, vals, 2, NULL, 0};
	struct buf out;
	char *s;

	assert_int_equal(tmpl_compile("t.tmpl", src, strlen(src), fields, 2,
	                              NULL, NULL, &t, err, sizeof(err)),
	                 0);
	buf_init(&out);
	assert_int_equal(msg_render_one(r, t, &rc, 1700000000, &out), 0);
	s = buf_steal(&out, NULL);
	msg_render_free(r);
	tmpl_free(t);
	return s;
}

/* Count header fields (lines of the header block not starting with WSP). */
static int
count_fields(const char *m, const char *name)
{
	const char *end = strstr(m, "\r\n\r\n");
	int n = 0;

	for (const char *p = m; p < end; p = strstr(p, "\r\n") + 2)
		if (strncasecmp(p, name, strlen(name)) == 0 &&
		    p[strlen(name)] == ':')
			n++;
	return n;
}

static void
test_hostile_values(void **state)
{
	static const char src[] = "From: News <news@example.org>\n"
	                          "Subject: Hi {{first_name}}\n"
	                          "To: {{first_name}} <{{email}}>\n\n"
	                          "Dear {{first_name}} {{last_name}}\n%% "
	                          "html\n<p>{{last_name}}</p>\n";
	static const char evil[] = "A\r\nBcc: v@example.net\0\nX-Evil: 1\r";
	const char *boundary_like = "\r\n--=_mc_alt_0--\r\n--=_mc_mix_0\r\n";
	char *big = malloc(100001);
	char *m;

	(void)state;
	memset(big, 'z', 100000);
	big[100000] = '\0';
	m = render(src, evil, sizeof(evil) - 1, boundary_like,
	           strlen(boundary_like));
	assert_int_equal(count_fields(m, "Bcc"), 0);
	assert_int_equal(count_fields(m, "X-Evil"), 0);
	assert_int_equal(count_fields(m, "Subject"), 1);
	assert_int_equal(count_fields(m, "To"), 1);
	assert_null(memchr(m, '\0', strlen(m))); /* no NUL in the output */
	assert_non_null(
	    strstr(m, "Subject: Hi A  Bcc: v@example.net  X-Evil: 1"));
	/* Exactly the boundary lines the structure needs: open, middle, close.
	 */
	const char *b = strstr(m, "boundary=\"") + 10;
	char bound[64];
	size_t bl = strcspn(b, "\"");
	snprintf(bound, sizeof(bound), "\r\n--%.*s", (int)bl, b);
	int n = 0;
	for (const char *p = m; (p = strstr(p, bound)) != NULL; p++)
		n++;
	assert_int_equal(n, 3);
	assert_null(strstr(m, "\r\n--=_mc_alt_0--")); /* QP-encoded: =3D... */
	free(m);

	/* 100,000 characters: a header stays short, a body keeps it all. */
	m = render(src, big, 100000, big, 100000);
	const char *subj = strstr(m, "Subject:");
	size_t slen = strstr(subj, "\r\n") - subj;
	assert_true(slen <= 998);
	const char *end = strstr(m, "\r\n\r\n");
	for (const char *p = m; p < end; p = strstr(p, "\r\n") + 2)
		assert_true(strstr(p, "\r\n") - p <= 998);
	for (const char *p = m; *p; p = strstr(p, "\r\n") + 2)
		assert_true(strstr(p, "\r\n") - p <= 998);
	assert_int_equal(count_fields(m, "Subject"), 1);
	free(m);
	free(big);
}

/* A small deterministic generator for the equivalence tests. */
static uint64_t
next_rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* Random text from atoms chosen to sit on every rule of
 * mime_choose_cte(): "=_", white space before a line end, controls,
 * 8-bit octets, long lines.  mask picks the atoms allowed, so that one
 * rule at a time decides. */
static size_t
rnd_text(uint64_t *st, unsigned mask, char *o, size_t cap)
{
	static const char *const atoms[] = {
	    "a", "word", " ",  "\t",       "\n", "x",    "-",    ".",
	    "=", "_",    "=_", "\xc3\xa9", "\r", "\x01", "\n\n", " \n"};
	size_t n = 0, k = next_rnd(st) % 12;

	for (size_t i = 0; i < k; i++) {
		if (next_rnd(st) % 40 == 0 && n + 1000 < cap) {
			size_t l = 900 + next_rnd(st) % 100;
			memset(o + n, 'q', l);
			n += l;
			continue;
		}
		unsigned a = (unsigned)(next_rnd(st) % 16);
		if (!(mask & (1u << a)))
			continue;
		size_t l = strlen(atoms[a]);
		if (n + l >= cap)
			break;
		memcpy(o + n, atoms[a], l);
		n += l;
	}
	return n;
}

static void
test_cte_from_pieces(void **state)
{
	static char all[40000], piece[4000];
	uint64_t st = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int it = 0; it < 20000; it++) {
		struct mime_cte_run run = {0};
		struct mime_piece pc;
		size_t n = 0, np = next_rnd(&st) % 6;
		/* The plain atoms, and now and then one or two others. */
		unsigned mask = 0xffu | (1u << (8 + next_rnd(&st) % 8)) |
		                (1u << (8 + next_rnd(&st) % 8));
		if (next_rnd(&st) % 4 == 0)
			mask = 0xffffu;
		for (size_t i = 0; i < np; i++) {
			size_t l = rnd_text(&st, mask, piece, sizeof(piece));
			mime_piece_scan(&pc, piece, l);
			mime_run_add(&run, &pc);
			memcpy(all + n, piece, l);
			n += l;
		}
		if (mime_run_cte(&run) != mime_choose_cte(all, n))
			fail_msg("pieces disagree with the whole at %d: %.*s",
			         it, (int)n, all);
	}
}

/* The text part of a rendered single-part message must be what
 * encoding the assembled text in one go gives, whatever the encoding. */
static void
test_render_matches_whole(void **state)
{
	static const char *const lits[] = {
	    "Dear ",
	    ",\n\nA line of plain text.\nTrailing space \n",
	    "=",
	    "\n",
	    "",
	    "a long line: "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and more\n",
	    "caf\xc3\xa9\n",
	    " ",
	    "\n\nEnd"};
	static const char *const vals[] = {
	    "Ann",        "Chlo\xc3\xab",
	    "",           "_x",
	    "two\nlines", "trail ",
	    "=_",         "\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87",
	    "plain"};
	uint64_t st = 42;

	(void)state;
	for (int it = 0; it < 400; it++) {
		struct buf src, want, enc;
		const char *first = vals[next_rnd(&st) % 9];
		const char *last = vals[next_rnd(&st) % 9];
		char *m;

		buf_init(&src);
		buf_init(&want);
		buf_init(&enc);
		buf_puts(&src, "From: n@example.org\nSubject: s\n\nT");
		buf_puts(&want, "T");
		size_t k = 1 + next_rnd(&st) % 8;
		for (size_t i = 0; i < k; i++) {
			const char *l = lits[next_rnd(&st) % 9];
			buf_puts(&src, l);
			buf_puts(&want, l);
			switch (next_rnd(&st) % 3) {
			case 0:
				buf_puts(&src, "{{first_name}}");
				buf_puts(&want, first);
				break;
			case 1:
				buf_puts(&src, "{{last_name}}");
				buf_puts(&want, last);
				break;
			default:
				break;
			}
		}
		m = render(buf_cstr(&src), first, strlen(first), last,
		           strlen(last));
		enum mime_cte cte =
		    mime_choose_cte(buf_cstr(&want), buf_len(&want));
		buf_printf(&enc, "Content-Transfer-Encoding: %s\r\n\r\n",
		           mime_cte_name(cte));
		mime_encode_body(&enc, cte, buf_cstr(&want), buf_len(&want));
		const char *body = strstr(m, "Content-Transfer-Encoding: ");
		assert_non_null(body);
		if (strcmp(body, buf_cstr(&enc)) != 0)
			fail_msg("template %s\nrendered:\n%s\nwanted:\n%s",
			         buf_cstr(&src), body, buf_cstr(&enc));
		free(m);
		buf_fini(&src);
		buf_fini(&want);
		buf_fini(&enc);
	}
}

static void
test_defaults_and_escaping(void **state)
{
	static const char src[] =
	    "From: news@example.org\nSubject: Hi {{first_name|there}}\n\n"
	    "Hi {{first_name|there}} \\{{literal}}\n%% html\n"
	    "<p>{{last_name|A&B}} {{first_name}}</p>\n";
	char *m;

	(void)state;
	m = render(src, "", 0, NULL, 0);
	assert_non_null(strstr(m, "Subject: Hi there\r\n"));
	assert_non_null(strstr(m, "Hi there {{literal}}\r\n"));
	/* A default stands for a value: escaped in HTML like one. */
	assert_non_null(strstr(m, "<p>A&amp;B </p>"));
	free(m);
	m = render(src, "<i>\"O'Neil\"", 12, "&", 1);
	assert_non_null(
	    strstr(m, "<p>&amp; &lt;i&gt;&quot;O&#39;Neil&quot;</p>"));
	assert_non_null(strstr(m, "Hi <i>\"O'Neil\" {{literal}}"));
	free(m);
}

static void
test_bad_recipient(void **state)
{
	static const char src[] = "From: n@example.org\nSubject: s\n\nb\n";
	char err[TMPL_ERR_MAX];
	struct tmpl *t;
	struct msg_render *r = msg_render_new();
	struct msg_recipient rc = {
	    "bad\r\nBcc: x@y", "abc", 1, 2, NULL, 0, NULL, 0};
	struct buf out;

	(void)state;
	assert_int_equal(tmpl_compile("t", src, strlen(src), NULL, 0, NULL,
	                              NULL, &t, err, sizeof(err)),
	                 0);
	buf_init(&out);
	assert_int_equal(msg_render_one(r, t, &rc, 0, &out), MC_EDATA);
	assert_int_equal(buf_len(&out), 0);
	assert_non_null(strstr(msg_render_error(r), "recipient address"));
	buf_fini(&out);
	msg_render_free(r);
	tmpl_free(t);
}

static void
test_mime_encoders(void **state)
{
	struct buf b;
	char line[200];

	(void)state;
	buf_init(&b);
	/* Encoded-words: every line within 78, each word whole UTF-8. */
	mime_header_text(
	    &b, "Subject",
	    "Ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé",
	    strlen("Ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé "
	           "ünïcödé"));
	for (const char *p = buf_cstr(&b); *p; p = strstr(p, "\r\n") + 2)
		assert_true(strstr(p, "\r\n") - p <= 78);
	assert_true(strncmp(buf_cstr(&b), "Subject: =?UTF-8?B?", 19) == 0);
	buf_reset(&b);
	/* Quoted-printable: lines <= 76, '=' and trailing space encoded. */
	memset(line, 'a', sizeof(line));
	memcpy(line + 100, "= ", 2);
	line[102] = '\n';
	mime_encode_body(&b, MIME_QP, line, 103);
	for (const char *p = buf_cstr(&b); *p; p = strstr(p, "\r\n") + 2)
		assert_true(strstr(p, "\r\n") - p <= 76);
	assert_non_null(strstr(buf_cstr(&b), "=3D=20\r\n"));
	assert_int_equal(mime_choose_cte("plain\n", 6), MIME_7BIT);
	assert_int_equal(mime_choose_cte("has =_ in it\n", 13), MIME_QP);
	assert_int_equal(mime_choose_cte("Привет\n", strlen("Привет\n")),
	                 MIME_BASE64);
	buf_reset(&b);
	mime_param_2231(&b, "filename", "März.pdf", strlen("März.pdf"));
	assert_string_equal(buf_cstr(&b),
	                    ";\r\n filename*=utf-8''M%C3%A4rz.pdf");
	buf_fini(&b);
}

/* The bh= of a message whose body is body (relaxed canonicalisation). */
static void
check_bh(struct dkim_signer *s, const char *body, const char *canon)
{
	struct buf msg, out, want;
	unsigned char md[32];

	buf_init(&msg);
	buf_init(&out);
	buf_init(&want);
	buf_printf(&msg, "From: a@example.org\r\nSubject: x\r\n\r\n%s", body);
	assert_int_equal(dkim_sign(s, buf_cstr(&msg), buf_len(&msg), 0, &out),
	                 0);
	EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL);
	buf_puts(&want, "bh=");
	base64_encode(&want, md, 32);
	if (strstr(buf_cstr(&out), buf_cstr(&want)) == NULL)
		fail_msg("body %s: want %s in %s", body, buf_cstr(&want),
		         buf_cstr(&out));
	buf_fini(&msg);
	buf_fini(&out);
	buf_fini(&want);
}

static void
test_dkim_body_hash(void **state)
{
	char path[] = "/tmp/mc_test_dkimXXXXXX", err[256];
	struct dkim_key *k;
	struct dkim_signer *s = dkim_signer_new();
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path); /* dkim_key_generate refuses to overwrite */
	assert_int_equal(dkim_key_generate(DKIM_ED25519_SHA256, 0, path,
	                                   "example.org", "s1", &k, err,
	                                   sizeof(err)),
	                 0);
	unlink(path);
	assert_int_equal(dkim_signer_add(s, k), 0);
	check_bh(s, "", "");
	check_bh(s, "\r\n\r\n", "");
	check_bh(s, " a \t b \r\n\r\n\r\n", " a b\r\n");
	check_bh(s, "x\r\n\r\ny  \r\n", "x\r\n\r\ny\r\n");
	check_bh(s, "no final crlf", "no final crlf\r\n");
	check_bh(s, "a\r\n", "a\r\n");
	check_bh(s, " a\r\n\r\nb\r\n\r\n\r\n", " a\r\n\r\nb\r\n");
	check_bh(s, "a\r\r\n", "a\r\r\n");
	check_bh(s, "a\rb\r\n", "a\rb\r\n");
	check_bh(s, "a\r", "a\r\n");
	/* What a body already in relaxed form must not have, at every
	 * position (the check works 16 octets at a time). */
	for (size_t p = 1; p < 40; p++) {
		static const char *const bad[][2] = {{"  ", " "},
		                                     {"\t", " "},
		                                     {" \r\n", "\r\n"},
		                                     {"\n", "\r\n"},
		                                     {" \t ", " "}};
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			char body[128], canon[128];
			snprintf(body, sizeof(body), "%.*s%sy\r\n", (int)p,
			         "0123456789abcdef0123456789abcdef01234567",
			         bad[b][0]);
			snprintf(canon, sizeof(canon), "%.*s%sy\r\n", (int)p,
			         "0123456789abcdef0123456789abcdef01234567",
			         bad[b][1]);
			check_bh(s, body, canon);
		}
	}
	/* h= over-signs From and signs what is present, no l=. */
	struct buf out;
	buf_init(&out);
	const char *m = "From: a@example.org\r\nTo: b@example.org\r\n\r\nx\r\n";
	assert_int_equal(dkim_sign(s, m, strlen(m), 0, &out), 0);
	assert_non_null(strstr(buf_cstr(&out), "h=from:from:to;"));
	assert_null(strstr(buf_cstr(&out), " l="));
	buf_fini(&out);
	/* Not a message. */
	buf_init(&out);
	assert_int_equal(dkim_sign(s, "From: x", 7, 0, &out), MC_EDATA);
	buf_fini(&out);
	dkim_signer_free(s);
	dkim_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_hostile_values),
	    cmocka_unit_test(test_cte_from_pieces),
	    cmocka_unit_test(test_render_matches_whole),
	    cmocka_unit_test(test_defaults_and_escaping),
	    cmocka_unit_test(test_bad_recipient),
	    cmocka_unit_test(test_mime_encoders),
	    cmocka_unit_test(test_dkim_body_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
