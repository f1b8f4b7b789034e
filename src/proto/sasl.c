/*
 * sasl.c — see sasl.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/str.h"
#include "proto/sasl.h"
#include "proto/wire_value.h"

static const char *const mech_names[] = {
    [SASL_NONE] = "none",       [SASL_PLAIN] = "PLAIN",
    [SASL_LOGIN] = "LOGIN",     [SASL_CRAM_MD5] = "CRAM-MD5",
    [SASL_XOAUTH2] = "XOAUTH2",
};

const char *
sasl_mech_name(enum sasl_mech mech)
{
	if ((unsigned)mech > SASL_XOAUTH2)
		return "none";
	return mech_names[mech];
}

enum sasl_mech
sasl_mech_lookup(const char *name, size_t len)
{
	for (int m = SASL_PLAIN; m <= SASL_XOAUTH2; m++)
		if (mc_ieq(name, len, mech_names[m]))
			return (enum sasl_mech)m;
	return SASL_NONE;
}

bool
sasl_mech_is_cleartext(enum sasl_mech mech)
{
	return mech == SASL_PLAIN || mech == SASL_LOGIN || mech == SASL_XOAUTH2;
}

static bool
offered_has(const char *offered, size_t len, enum sasl_mech mech)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && offered[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && offered[i] != ' ')
			i++;
		if (i > start &&
		    sasl_mech_lookup(offered + start, i - start) == mech)
			return true;
	}
	return false;
}

enum sasl_mech
sasl_choose(const char *offered, size_t len, bool tls, enum sasl_mech wanted)
{
	static const enum sasl_mech tls_order[] = {SASL_PLAIN, SASL_LOGIN,
	                                           SASL_CRAM_MD5};

	if (wanted != SASL_NONE)
		return offered_has(offered, len, wanted) ? wanted : SASL_NONE;
	if (!tls)
		return offered_has(offered, len, SASL_CRAM_MD5) ? SASL_CRAM_MD5
		                                                : SASL_NONE;
	for (size_t i = 0; i < sizeof(tls_order) / sizeof(tls_order[0]); i++)
		if (offered_has(offered, len, tls_order[i]))
			return tls_order[i];
	return SASL_NONE;
}

/* Refuse credentials that would break a command line; see sasl.h. */
int
sasl_credentials_check(const char *user, const char *secret, char *err,
                       size_t errsize)
{
	int rc;

	if ((rc = wire_value_check("user name", user, true, err, errsize)) != 0)
		return rc;
	if ((rc = wire_value_check("password", secret, false, err, errsize)) !=
	    0)
		return rc;
	/* ^A ends a field of XOAUTH2's initial response. */
	if (secret && strchr(secret, '\001')) {
		snprintf(err, errsize, "password contains a control character");
		return MC_EINVAL;
	}
	return 0;
}

void
sasl_client_init(struct sasl_client *s, enum sasl_mech mech, const char *user,
                 const char *secret)
{
	memset(s, 0, sizeof(*s));
	s->mech = mech;
	s->user = user;
	s->secret = secret;
}

void
sasl_client_fini(struct sasl_client *s)
{
	explicit_bzero(s, sizeof(*s));
}

/* Base64 of raw into out, wiping the temporary copy. */
static void
encode_wipe(struct buf *out, struct buf *raw)
{
	base64_encode(out, buf_data(raw), buf_len(raw));
	explicit_bzero(raw->mem, raw->cap);
	buf_fini(raw);
}

bool
sasl_client_initial(struct sasl_client *s, struct buf *out)
{
	struct buf raw;

	buf_init(&raw);
	switch (s->mech) {
	case SASL_PLAIN:
		/* authzid NUL authcid NUL passwd, authzid empty */
		buf_putc(&raw, '\0');
		buf_puts(&raw, s->user);
		buf_putc(&raw, '\0');
		buf_puts(&raw, s->secret);
		break;
	case SASL_XOAUTH2:
		buf_printf(&raw, "user=%s\001auth=Bearer %s\001\001", s->user,
		           s->secret);
		break;
	default:
		buf_fini(&raw);
		return false;
	}
	s->step = 1;
	encode_wipe(out, &raw);
	return true;
}

static int
cram_md5(struct sasl_client *s, const struct buf *challenge, struct buf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf raw;

	if (HMAC(EVP_md5(), s->secret, (int)strlen(s->secret),
	         buf_data(challenge), buf_len(challenge), mac, &maclen) == NULL)
		return MC_EPROTO;
	buf_init(&raw);
	buf_puts(&raw, s->user);
	buf_putc(&raw, ' ');
	for (unsigned i = 0; i < maclen; i++)
		buf_printf(&raw, "%02x", mac[i]);
	explicit_bzero(mac, sizeof(mac));
	encode_wipe(out, &raw);
	return 0;
}

int
sasl_client_step(struct sasl_client *s, const char *challenge, size_t len,
                 struct buf *out)
{
	struct buf ch;
	int rc = 0;

	buf_init(&ch);
	if (base64_decode(&ch, challenge, len, 0) != 0) {
		buf_fini(&ch);
		return MC_EDATA;
	}
	switch (s->mech) {
	case SASL_LOGIN: {
		/* Challenges are "Username:" then "Password:"; go by order. */
		struct buf raw;
		if (s->step > 1) {
			rc = MC_EPROTO;
			break;
		}
		buf_init(&raw);
		buf_puts(&raw, s->step == 0 ? s->user : s->secret);
		s->step++;
		encode_wipe(out, &raw);
		break;
	}
	case SASL_CRAM_MD5:
		if (s->step++ > 0) {
			rc = MC_EPROTO;
			break;
		}
		rc = cram_md5(s, &ch, out);
		break;
	case SASL_XOAUTH2:
		/* A challenge after the initial response is an error report
		 * in JSON; the answer is an empty response, then the server
		 * sends its failure reply. */
		if (s->step++ > 1) {
			rc = MC_EPROTO;
			break;
		}
		break;
	default:
		rc = MC_EPROTO;
		break;
	}
	buf_fini(&ch);
	return rc;
}
