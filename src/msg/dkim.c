/*
 * dkim.c — see dkim.h.
 *
 * Hot path: the body is hashed once, whatever the number of keys — a
 * body that is already in relaxed form (what mailcast renders: CRLF
 * lines, no tabs, no runs of spaces, no space at a line end) is hashed
 * where it lies after one vectorised check, any other is canonicalised
 * into a scratch buffer first; the selected header fields are
 * canonicalised once; per key only the DKIM-Signature field itself is
 * added to a copy of the header hash, and the 32-byte result is signed:
 * RSA through a reused EVP_PKEY_CTX (PKCS#1 v1.5 over SHA-256), Ed25519
 * through a one-shot EVP_DigestSign (PureEdDSA over the SHA-256 of the
 * header data, RFC 8463 section 3) on a context initialised once where
 * the OpenSSL version allows signing with it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/xmalloc.h"
#include "msg/address.h"
#include "msg/dkim.h"

/* The fields signed, in h= order (From is added twice: over-signing). */
static const char *const signed_fields[] = {"from",
                                            "to",
                                            "subject",
                                            "date",
                                            "message-id",
                                            "mime-version",
                                            "content-type",
                                            "list-unsubscribe",
                                            "list-unsubscribe-post"};
#define NSIGNED (sizeof(signed_fields) / sizeof(signed_fields[0]))

struct dkim_key {
	enum dkim_alg alg;
	EVP_PKEY *pkey;
	char domain[ADDR_DOMAIN_MAX + 1];
	char selector[DKIM_SELECTOR_MAX + 1];
};

struct dkim_signer {
	const struct dkim_key *keys[DKIM_KEYS_MAX];
	EVP_PKEY_CTX *rsa_ctx[DKIM_KEYS_MAX]; /* RSA keys only */
	EVP_MD_CTX *ed_ctx[DKIM_KEYS_MAX];    /* Ed25519 keys only */
	bool ed_ready[DKIM_KEYS_MAX];         /* ed_ctx may sign again */
	bool ed_once[DKIM_KEYS_MAX]; /* OpenSSL refused a second signature */
	size_t nkeys;
	EVP_MD *sha256;
	EVP_MD_CTX *md, *md2;
	struct buf canon, hdr, sig, b64;
	char err[256];
};

const char *
dkim_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

/* Check d= and s= and take ownership of pkey into a new key. */
static int
key_wrap(EVP_PKEY *pkey, const char *domain, const char *selector,
         struct dkim_key **out, char *err, size_t errsz)
{
	struct dkim_key *k;

	if (domain == NULL || !addr_domain_valid(domain, strlen(domain)))
		return mc_fail(MC_ECONFIG, err, errsz,
		               "DKIM domain '%s' is not a host name",
		               domain ? domain : "");
	if (selector == NULL || strlen(selector) > DKIM_SELECTOR_MAX ||
	    !addr_domain_valid(selector, strlen(selector)))
		/* addr_domain_valid rejects an all-digit last label, which
		 * is a fine selector ("2024"): accept those too. */
		if (selector == NULL || selector[0] == '\0' ||
		    strlen(selector) > DKIM_SELECTOR_MAX ||
		    strspn(selector,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK"
		           "LMNOPQRSTUVWXYZ0123456789-.") != strlen(selector) ||
		    selector[0] == '.' || selector[0] == '-' ||
		    strstr(selector, "..") != NULL)
			return mc_fail(MC_ECONFIG, err, errsz,
			               "DKIM selector '%s' is not a DNS label",
			               selector ? selector : "");
	k = xcalloc(1, sizeof(*k));
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIM_RSA_BITS_MIN) {
			free(k);
			return mc_fail(
			    MC_ECONFIG, err, errsz,
			    "RSA key of %d bits; DKIM needs at least %d "
			    "(RFC 8301), 2048 recommended",
			    bits, DKIM_RSA_BITS_MIN);
		}
		k->alg = DKIM_RSA_SHA256;
	} else if (EVP_PKEY_is_a(pkey, "ED25519")) {
		k->alg = DKIM_ED25519_SHA256;
	} else {
		free(k);
		return mc_fail(
		    MC_ECONFIG, err, errsz,
		    "key type %s is not usable for DKIM (RSA or Ed25519)",
		    EVP_PKEY_get0_type_name(pkey));
	}
	snprintf(k->domain, sizeof(k->domain), "%s", domain);
	for (char *p = k->domain; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(k->selector, sizeof(k->selector), "%s", selector);
	k->pkey = pkey;
	*out = k;
	return 0;
}

int
dkim_key_load(const char *path, const char *domain, const char *selector,
              struct dkim_key **out, char *err, size_t errsz)
{
	EVP_PKEY *pkey;
	FILE *fp;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return mc_fail(MC_EIO, err, errsz, "DKIM key %s: %s", path,
		               strerror(errno));
	pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL)
		return mc_fail(
		    MC_ECONFIG, err, errsz,
		    "DKIM key %s: not a PEM private key (RSA or Ed25519; "
		    "`mailcast dkim keygen` makes one)",
		    path);
	if ((rc = key_wrap(pkey, domain, selector, out, err, errsz)) != 0)
		EVP_PKEY_free(pkey);
	return rc;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum dkim_alg
dkim_key_alg(const struct dkim_key *k)
{
	return k->alg;
}

void
dkim_key_txt(const struct dkim_key *k, struct buf *out)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof(raw);
	int len;

	if (k->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463: p= is the raw 32-byte public key. */
		EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen);
		buf_puts(out, "v=DKIM1; k=ed25519; p=");
		base64_encode(out, raw, rawlen);
		return;
	}
	/* RFC 6376 3.6.1: p= is the SubjectPublicKeyInfo, DER. */
	len = i2d_PUBKEY(k->pkey, &der);
	buf_puts(out, "v=DKIM1; k=rsa; p=");
	if (len > 0)
		base64_encode(out, der, (size_t)len);
	OPENSSL_free(der);
}

int
dkim_key_generate(enum dkim_alg alg, int bits, const char *path,
                  const char *domain, const char *selector,
                  struct dkim_key **out, char *err, size_t errsz)
{
	EVP_PKEY *pkey;
	struct dkim_key *k;
	FILE *fp;
	int fd, rc;

	*out = NULL;
	if (alg == DKIM_RSA_SHA256 && (bits < 2048 || bits > 8192))
		return mc_fail(MC_EINVAL, err, errsz,
		               "RSA key size %d: use 2048 to 8192 bits", bits);
	if (alg == DKIM_RSA_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		return mc_fail(MC_ECONFIG, err, errsz, "key generation failed");
	if ((rc = key_wrap(pkey, domain, selector, &k, err, errsz)) != 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		dkim_key_free(k);
		return mc_fail(
		    MC_EIO, err, errsz, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite a key)" : "");
	}
	fp = fdopen(fd, "w");
	if (fp == NULL ||
	    PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(fp) != 0) {
		if (fp == NULL)
			close(fd);
		unlink(path);
		dkim_key_free(k);
		return mc_fail(MC_EIO, err, errsz, "%s: cannot write the key",
		               path);
	}
	*out = k;
	return 0;
}

struct dkim_signer *
dkim_signer_new(void)
{
	struct dkim_signer *s = xcalloc(1, sizeof(*s));

	s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	s->md = EVP_MD_CTX_new();
	s->md2 = EVP_MD_CTX_new();
	if (s->sha256 == NULL || s->md == NULL || s->md2 == NULL)
		abort(); /* OpenSSL without SHA-256: nothing works */
	buf_init(&s->canon);
	buf_init(&s->hdr);
	buf_init(&s->sig);
	buf_init(&s->b64);
	return s;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nkeys; i++) {
		EVP_PKEY_CTX_free(s->rsa_ctx[i]);
		EVP_MD_CTX_free(s->ed_ctx[i]);
	}
	EVP_MD_free(s->sha256);
	EVP_MD_CTX_free(s->md);
	EVP_MD_CTX_free(s->md2);
	buf_fini(&s->canon);
	buf_fini(&s->hdr);
	buf_fini(&s->sig);
	buf_fini(&s->b64);
	free(s);
}

int
dkim_signer_add(struct dkim_signer *s, const struct dkim_key *k)
{
	if (s->nkeys >= DKIM_KEYS_MAX)
		return MC_ELIMIT;
	if (k->alg == DKIM_RSA_SHA256) {
		EVP_PKEY_CTX *c =
		    EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (c == NULL || EVP_PKEY_sign_init(c) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c, s->sha256) != 1) {
			EVP_PKEY_CTX_free(c);
			return MC_ECONFIG;
		}
		s->rsa_ctx[s->nkeys] = c;
	} else {
		s->ed_ctx[s->nkeys] = EVP_MD_CTX_new();
		if (s->ed_ctx[s->nkeys] == NULL)
			return MC_ECONFIG;
	}
	s->keys[s->nkeys++] = k;
	return 0;
}

const char *
dkim_signer_error(const struct dkim_signer *s)
{
	return s->err;
}

static inline bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Relaxed body canonicalisation (RFC 6376 3.4.4) of b[0..n) into out. */
static void
canon_body(struct buf *out, const char *b, size_t n)
{
	size_t empty = 0;
	unsigned char *o = buf_reserve(out, 2 * n + 2), *start = o;

	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && b[e] != '\n')
			e++;
		size_t le = e;
		if (le > i && b[le - 1] == '\r')
			le--;
		while (le > i && is_wsp((unsigned char)b[le - 1]))
			le--;
		if (le == i) {
			empty++;
		} else {
			for (; empty > 0; empty--)
				*o++ = '\r', *o++ = '\n';
			/* Output grows only where a bare LF becomes CRLF:
			 * the reserve of 2n + 2 covers the worst case. */
			for (size_t k = i; k < le; k++) {
				unsigned char c = (unsigned char)b[k];
				if (is_wsp(c)) {
					while (k + 1 < le &&
					       is_wsp((unsigned char)b[k + 1]))
						k++;
					*o++ = ' ';
				} else {
					*o++ = c;
				}
			}
			*o++ = '\r';
			*o++ = '\n';
		}
		i = e < n ? e + 1 : n;
	}
	buf_commit(out, (size_t)(o - start));
}

/* Is b[0..n) already in relaxed form but for empty lines at its end:
 * CRLF line ends only, ending with one, no tab, no two spaces together,
 * no space before a CR?  Then canon_body() would copy it unchanged. */
static bool
body_is_relaxed(const unsigned char *b, size_t n)
{
	size_t i = 0;
	unsigned prev_sp = 0, prev_cr = 0; /* the octet before i */

	if (n > 0 && b[n - 1] != '\n')
		return false;
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
	              cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		unsigned msp =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
		unsigned mcr =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr));
		unsigned mlf =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		unsigned mtab =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab));
		/* Bit k of psp/pcr: octet k - 1 is a space / a CR. */
		unsigned psp = (msp << 1) | prev_sp, pcr = (mcr << 1) | prev_cr;
		if ((mtab | (psp & (msp | mcr)) | (mlf & ~pcr)) & 0xffff)
			return false;
		prev_sp = msp >> 15;
		prev_cr = mcr >> 15;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = b[i];
		if (c == '\t' || (prev_sp && (c == ' ' || c == '\r')) ||
		    (c == '\n' && !prev_cr))
			return false;
		prev_sp = c == ' ';
		prev_cr = c == '\r';
	}
	return true;
}

/* Does p[0..8) hold an octet below 0x21 (WSP, CR, LF, a control)? */
static inline bool
ctl_in8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return ((w - 0x2121212121212121ULL) & ~w & 0x8080808080808080ULL) != 0;
}

/* Relaxed header canonicalisation (RFC 6376 3.4.2) of one field. */
static void
canon_header(struct buf *out, const char *h, size_t n, bool crlf)
{
	const char *colon = memchr(h, ':', n);
	size_t nl = colon ? (size_t)(colon - h) : n;
	unsigned char *o = buf_reserve(out, n + 3), *start = o;

	while (nl > 0 && is_wsp((unsigned char)h[nl - 1]))
		nl--;
	for (size_t i = 0; i < nl; i++) {
		char c = h[i];
		*o++ =
		    (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	*o++ = ':';
	if (colon != NULL) {
		size_t i = (size_t)(colon - h) + 1, e = n;
		/* Unfold: CRLF disappear; then runs of WSP become one SP,
		 * none at the ends. */
		while (e > i && (h[e - 1] == '\r' || h[e - 1] == '\n' ||
		                 is_wsp((unsigned char)h[e - 1])))
			e--;
		while (i < e && (h[i] == '\r' || h[i] == '\n' ||
		                 is_wsp((unsigned char)h[i])))
			i++;
		bool space = false;
		while (i < e) {
			/* Eight octets at a time while none is WSP, CR, LF
			 * or another control. */
			while (!space && i + 8 <= e &&
			       !ctl_in8((const unsigned char *)h + i)) {
				memcpy(o, h + i, 8);
				o += 8;
				i += 8;
			}
			if (i >= e)
				break;
			unsigned char c = (unsigned char)h[i++];
			if (c > ' ') {
				if (space)
					*o++ = ' ', space = false;
				*o++ = c;
			} else if (c == ' ' || c == '\t') {
				space = true;
			} else if (c != '\r' && c != '\n') {
				if (space)
					*o++ = ' ', space = false;
				*o++ = c;
			}
		}
	}
	if (crlf) {
		*o++ = '\r';
		*o++ = '\n';
	}
	buf_commit(out, (size_t)(o - start));
}

struct hfield {
	const char *p;
	size_t len;  /* including the CRLF */
	size_t nlen; /* name length */
	bool used;
};

/* Split the header block into fields; returns the body offset or -1. */
static long
split_headers(const char *m, size_t n, struct hfield *f, size_t *nf)
{
	size_t i = 0;

	*nf = 0;
	while (i < n) {
		if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
			return (long)(i + 2);
		if (m[i] == '\n')
			return (long)(i + 1);
		size_t b = i;
		/* A field runs to the CRLF not followed by WSP. */
		for (;;) {
			const char *nlp = memchr(m + i, '\n', n - i);
			if (nlp == NULL)
				return -1;
			i = (size_t)(nlp - m) + 1;
			if (i >= n || !is_wsp((unsigned char)m[i]))
				break;
		}
		if (*nf < DKIM_HEADERS_MAX) {
			const char *colon = memchr(m + b, ':', i - b);
			f[*nf].p = m + b;
			f[*nf].len = i - b;
			f[*nf].nlen = colon ? (size_t)(colon - (m + b)) : 0;
			f[*nf].used = false;
			(*nf)++;
		}
	}
	return -1;
}

/* Case-insensitive match of a field's name with lower-case name (of
 * length n). */
static bool
field_is(const struct hfield *f, const char *name, size_t n)
{
	if (f->nlen != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = f->p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return false;
	}
	return true;
}

/* Append base64 of data folded as a DKIM tag value (b=); tmp is
 * scratch. */
static void
put_folded_b64(struct buf *out, struct buf *tmp, const unsigned char *data,
               size_t n, size_t col)
{
	buf_reset(tmp);
	base64_encode(tmp, data, n);
	const char *s = buf_cstr(tmp);
	size_t len = buf_len(tmp), off = 0;
	while (off < len) {
		size_t room = col < 76 ? 76 - col : 0;
		if (room < 8) {
			buf_puts(out, "\r\n\t");
			col = 8;
			continue;
		}
		size_t take = len - off < room ? len - off : room;
		buf_append(out, s + off, take);
		off += take;
		col += take;
	}
}

/* Append v in decimal. */
static void
put_decimal(struct buf *out, long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[--i] = '-';
	buf_append(out, tmp + i, sizeof(tmp) - i);
}

/* Sign the 32-byte header hash with an Ed25519 key (slot i).  The
 * context is initialised once and used again while OpenSSL allows it
 * (3.0 does; later versions refuse a second one-shot signature: after
 * the first refusal it is initialised for every message). */
static int
ed25519_sign(struct dkim_signer *s, size_t i, const unsigned char *hh,
             unsigned char *sig, size_t *siglen)
{
	size_t cap = *siglen;

	if (s->ed_ready[i]) {
		if (EVP_DigestSign(s->ed_ctx[i], sig, siglen, hh, 32) == 1)
			return 0;
		ERR_clear_error();
		s->ed_once[i] = true;
		*siglen = cap;
	}
	if (EVP_DigestSignInit_ex(s->ed_ctx[i], NULL, NULL, NULL, NULL,
	                          s->keys[i]->pkey, NULL) != 1 ||
	    EVP_DigestSign(s->ed_ctx[i], sig, siglen, hh, 32) != 1)
		return -1;
	s->ed_ready[i] = !s->ed_once[i];
	return 0;
}

int
dkim_sign(struct dkim_signer *s, const char *msg, size_t len, time_t now,
          struct buf *out)
{
	struct hfield f[DKIM_HEADERS_MAX];
	unsigned char bh[32], hh[32], sig[1024];
	size_t nf, siglen;
	long body;
	const char *h_names[NSIGNED + 1];
	size_t nh = 0;

	s->err[0] = '\0';
	if (s->nkeys == 0)
		return 0;
	if ((body = split_headers(msg, len, f, &nf)) < 0) {
		snprintf(s->err, sizeof(s->err),
		         "message has no blank line after its headers");
		return MC_EDATA;
	}
	/* Body hash, once for every key. */
	const unsigned char *bp = (const unsigned char *)msg + body;
	size_t bl = len - (size_t)body;
	if (body_is_relaxed(bp, bl)) {
		/* Only empty lines at the end go (RFC 6376 3.4.4). */
		while (bl >= 2 && bp[bl - 2] == '\r' &&
		       (bl == 2 || bp[bl - 3] == '\n'))
			bl -= 2;
	} else {
		buf_reset(&s->canon);
		canon_body(&s->canon, msg + body, len - (size_t)body);
		bp = buf_data(&s->canon);
		bl = buf_len(&s->canon);
	}
	if (EVP_DigestInit_ex(s->md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->md, bp, bl) != 1 ||
	    EVP_DigestFinal_ex(s->md, bh, NULL) != 1)
		goto crypto;
	/* The selected fields, bottom-up per name (RFC 6376 5.4.2). */
	buf_reset(&s->canon);
	for (size_t k = 0; k < NSIGNED; k++) {
		size_t kl = strlen(signed_fields[k]);
		for (size_t j = nf; j > 0; j--) {
			if (f[j - 1].used ||
			    !field_is(&f[j - 1], signed_fields[k], kl))
				continue;
			f[j - 1].used = true;
			canon_header(&s->canon, f[j - 1].p, f[j - 1].len, true);
			h_names[nh++] = signed_fields[k];
			break;
		}
	}
	if (EVP_DigestInit_ex(s->md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->md, buf_data(&s->canon), buf_len(&s->canon)) !=
	        1)
		goto crypto;
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct dkim_key *k = s->keys[i];
		size_t col;

		buf_reset(&s->hdr);
		buf_puts(&s->hdr, "DKIM-Signature: v=1; a=");
		buf_puts(&s->hdr, dkim_alg_name(k->alg));
		buf_puts(&s->hdr, "; c=relaxed/relaxed; d=");
		buf_puts(&s->hdr, k->domain);
		buf_puts(&s->hdr, ";\r\n\ts=");
		buf_puts(&s->hdr, k->selector);
		buf_puts(&s->hdr, "; t=");
		put_decimal(&s->hdr, (long long)now);
		buf_puts(&s->hdr, "; h=from:from");
		col = 8 + strlen(k->selector) + 4 + 20 + 12;
		for (size_t j = 0; j < nh; j++) {
			/* h_names[0] is from: already written twice. */
			if (j == 0 && strcmp(h_names[0], "from") == 0)
				continue;
			size_t hl = strlen(h_names[j]);
			if (col + hl + 1 > 76) {
				buf_puts(&s->hdr, "\r\n\t");
				col = 8;
			}
			buf_putc(&s->hdr, ':');
			buf_append(&s->hdr, h_names[j], hl);
			col += hl + 1;
		}
		buf_puts(&s->hdr, ";\r\n\tbh=");
		base64_encode(&s->hdr, bh, sizeof(bh));
		buf_puts(&s->hdr, ";\r\n\tb=");
		/* Header hash = selected fields + this field with b= empty,
		 * no final CRLF. */
		buf_reset(&s->sig);
		canon_header(&s->sig, buf_cstr(&s->hdr), buf_len(&s->hdr),
		             false);
		/* With one key the selected fields' hash is not needed
		 * again: no copy. */
		EVP_MD_CTX *hmd = s->nkeys == 1 ? s->md : s->md2;
		if ((hmd != s->md && EVP_MD_CTX_copy_ex(hmd, s->md) != 1) ||
		    EVP_DigestUpdate(hmd, buf_data(&s->sig),
		                     buf_len(&s->sig)) != 1 ||
		    EVP_DigestFinal_ex(hmd, hh, NULL) != 1)
			goto crypto;
		siglen = sizeof(sig);
		if (k->alg == DKIM_RSA_SHA256) {
			if (EVP_PKEY_sign(s->rsa_ctx[i], sig, &siglen, hh,
			                  sizeof(hh)) != 1)
				goto crypto;
		} else if (ed25519_sign(s, i, hh, sig, &siglen) != 0) {
			goto crypto;
		}
		buf_append(out, buf_data(&s->hdr), buf_len(&s->hdr));
		put_folded_b64(out, &s->b64, sig, siglen, 3);
		buf_puts(out, "\r\n");
	}
	return 0;
crypto:
	snprintf(s->err, sizeof(s->err), "DKIM signing failed in OpenSSL");
	return MC_ECONFIG;
}
