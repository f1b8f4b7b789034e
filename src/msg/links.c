/*
 * links.c — trackable links of a template and their MAC (links.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "msg/links.h"

/* Where a URL ends: whitespace, quotes, angle brackets, controls. */
static bool
url_stop(unsigned char ch)
{
	return ch <= ' ' || ch == '"' || ch == '\'' || ch == '<' || ch == '>' ||
	       ch == 0x7f;
}

/* The length of the trackable URL at s[0..n), or 0. */
size_t
msg_link_len(const char *s, size_t n)
{
	size_t e;

	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		e = 7;
	else if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		e = 8;
	else
		return 0;
	if (e >= n || url_stop((unsigned char)s[e]))
		return 0; /* no host */
	while (e < n && !url_stop((unsigned char)s[e]))
		e++;
	/* a sentence's full stop or a closing parenthesis is not the URL's */
	while (e > 8 && strchr(".,;:!?)", s[e - 1]) != NULL)
		e--;
	if (e > MSG_LINK_URL_MAX || memmem(s, e, "{{", 2) != NULL ||
	    memmem(s, e, "}}", 2) != NULL)
		return 0;
	if (e < n - 1 && s[e] == '{' && s[e + 1] == '{')
		return 0; /* a merge field follows: personalised */
	return e;
}

/* Call fn for each distinct trackable URL of src, first appearance first. */
int
msg_links_scan(const char *src, size_t n,
               int (*fn)(void *arg, const char *url, size_t len), void *arg)
{
	const char *seen[MSG_LINKS_MAX];
	size_t seen_len[MSG_LINKS_MAX], nseen = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len, k;
		int rc;

		if (src[i] != 'h' && src[i] != 'H')
			continue;
		if (i > 0 && !url_stop((unsigned char)src[i - 1]) &&
		    src[i - 1] != '(')
			continue;
		if ((len = msg_link_len(src + i, n - i)) == 0)
			continue;
		for (k = 0; k < nseen; k++)
			if (seen_len[k] == len &&
			    memcmp(seen[k], src + i, len) == 0)
				break;
		if (k == nseen && nseen < MSG_LINKS_MAX) {
			seen[nseen] = src + i;
			seen_len[nseen++] = len;
			if ((rc = fn(arg, src + i, len)) != 0)
				return rc;
		}
		i += len - 1;
	}
	return 0;
}

/* The hex MAC of link idx for token. */
void
msg_link_mac(const unsigned char *key, size_t keylen, const char *token,
             int idx, char *out)
{
	char msg[128];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int n =
	    snprintf(msg, sizeof(msg), "mailcast-click-v1:%s:%d", token, idx);

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	     (size_t)(n < 0 ? 0 : n), mac, &maclen);
	for (int i = 0; i < MSG_LINK_MAC_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[MSG_LINK_MAC_HEX] = '\0';
}
