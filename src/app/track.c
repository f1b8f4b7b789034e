/*
 * track.c — click and open tracking: the link table and the counting
 * behind /c/ and /o/ (track.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "app/track.h"
#include "base/error.h"
#include "base/xmalloc.h"
#include "msg/links.h"

/* Add one stored link (idx >= 0) to the list in arg. */
static int
links_add(void *arg, int idx, const char *url, int64_t hits, int64_t who)
{
	struct track_links *l = arg;

	(void)hits;
	(void)who;
	if (idx < 0 || (size_t)idx != l->n)
		return 0; /* the opens' row; a gap cannot happen */
	l->url = xreallocarray(l->url, l->n + 1, sizeof(char *));
	l->url[l->n++] = xstrdup(url);
	return 0;
}

struct scan {
	struct store *s;
	int64_t id;
	int n, rc;
};

/* Store one URL of the template as the next link. */
static int
scan_put(void *arg, const char *url, size_t len)
{
	struct scan *sc = arg;
	char *u = xstrndup(url, len);

	sc->rc = store_track_link_put(sc->s, sc->id, sc->n++, u);
	free(u);
	return sc->rc < 0;
}

/* Read the whole file at path (NUL-terminated); NULL on error. */
static char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *b = NULL;
	long sz;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (sz = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0) {
		b = xmalloc((size_t)sz + 1);
		*n = fread(b, 1, (size_t)sz, fp);
		b[*n] = '\0';
	}
	fclose(fp);
	return b;
}

/* The campaign's links: stored, else scanned from the template first. */
int
track_links_prepare(struct store *s, int64_t id, const char *path,
                    struct track_links *out, char *err, size_t errsz)
{
	struct scan sc = {s, id, 0, 0};
	size_t n = 0;
	char *src;
	int rc;

	if ((rc = store_track_link_each(s, id, links_add, out)) < 0)
		return mc_fail(rc, err, errsz, "tracked links: %s",
		               store_error(s));
	if (out->n > 0)
		return 0;
	if ((src = slurp(path, &n)) == NULL)
		return mc_fail(MC_EIO, err, errsz, "%s: %s", path,
		               strerror(errno));
	msg_links_scan(src, n, scan_put, &sc);
	free(src);
	if (sc.rc < 0)
		return mc_fail(sc.rc, err, errsz, "tracked links: %s",
		               store_error(s));
	if ((rc = store_track_link_each(s, id, links_add, out)) < 0)
		return mc_fail(rc, err, errsz, "tracked links: %s",
		               store_error(s));
	return 0;
}

/* Free the list. */
void
track_links_fini(struct track_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->url[i]);
	free(l->url);
	memset(l, 0, sizeof(*l));
}

/* Check TOKEN of tok[0..toklen) and the MAC mac for link idx: 0 with the
 * campaign and contact, or MC_ENOTFOUND. */
static int
verify(const struct token_keyring *ring, const char *tok, size_t toklen,
       int idx, const char *mac, uint64_t *campaign, uint64_t *contact)
{
	char t[TOKEN_MAX + 1], want[MSG_LINK_MAC_HEX + 1];
	int64_t key_id;

	if (toklen == 0 || toklen > TOKEN_MAX ||
	    strlen(mac) != MSG_LINK_MAC_HEX)
		return MC_ENOTFOUND;
	memcpy(t, tok, toklen);
	t[toklen] = '\0';
	if (token_keyring_decode(ring, t, toklen, campaign, contact, &key_id) !=
	    0)
		return MC_ENOTFOUND;
	for (size_t i = 0; i < ring->n; i++) {
		if (ring->ids[i] != key_id)
			continue;
		msg_link_mac(ring->keys[i].key, ring->keys[i].len, t, idx,
		             want);
		return CRYPTO_memcmp(want, mac, MSG_LINK_MAC_HEX) == 0
		           ? 0
		           : MC_ENOTFOUND;
	}
	return MC_ENOTFOUND;
}

struct find {
	int idx;
	char *url;
};

/* Keep the URL of the link asked for. */
static int
find_link(void *arg, int idx, const char *url, int64_t hits, int64_t who)
{
	struct find *f = arg;

	(void)hits;
	(void)who;
	if (idx == f->idx) {
		f->url = xstrdup(url);
		return 1;
	}
	return 0;
}

/* Count a click and give its stored target. */
int
track_click(struct store *s, const struct token_keyring *ring, const char *tok,
            time_t now, bool count, char *url, size_t urlsz)
{
	const char *d1 = strchr(tok, '-'), *d2;
	struct find f = {-1, NULL};
	uint64_t campaign, contact;
	char *end;
	long idx;
	int rc;

	if (d1 == NULL || (d2 = strchr(d1 + 1, '-')) == NULL || d1[1] < '0' ||
	    d1[1] > '9' || (d1[1] == '0' && d2 != d1 + 2))
		return MC_ENOTFOUND;
	errno = 0;
	idx = strtol(d1 + 1, &end, 10);
	if (end != d2 || errno != 0 || idx < 0 || idx >= MSG_LINKS_MAX)
		return MC_ENOTFOUND;
	if (verify(ring, tok, (size_t)(d1 - tok), (int)idx, d2 + 1, &campaign,
	           &contact) < 0)
		return MC_ENOTFOUND;
	f.idx = (int)idx;
	if ((rc = store_track_link_each(s, (int64_t)campaign, find_link, &f)) <
	    0)
		return rc;
	if (f.url == NULL)
		return MC_ENOTFOUND;
	/* an href's &amp; is the URL's & */
	size_t o = 0;
	for (const char *p = f.url; *p && o + 1 < urlsz; p++) {
		url[o++] = *p;
		if (strncmp(p, "&amp;", 5) == 0)
			p += 4;
	}
	url[o] = '\0';
	free(f.url);
	if (!count)
		return 0;
	return store_track_hit(s, (int64_t)campaign, (int)idx, (int64_t)contact,
	                       now);
}

/* Count an open. */
int
track_open(struct store *s, const struct token_keyring *ring, const char *tok,
           time_t now, bool count)
{
	const char *d = strchr(tok, '-');
	size_t n = strlen(tok);
	char mac[MSG_LINK_MAC_HEX + 1];
	uint64_t campaign, contact;

	if (d == NULL || n < 4 || strcmp(tok + n - 4, ".gif") != 0 ||
	    (size_t)(tok + n - 4 - (d + 1)) != MSG_LINK_MAC_HEX)
		return MC_ENOTFOUND;
	memcpy(mac, d + 1, MSG_LINK_MAC_HEX);
	mac[MSG_LINK_MAC_HEX] = '\0';
	if (verify(ring, tok, (size_t)(d - tok), -1, mac, &campaign, &contact) <
	    0)
		return MC_ENOTFOUND;
	if (!count)
		return 0;
	return store_track_hit(s, (int64_t)campaign, -1, (int64_t)contact, now);
}

/* Add one row of the report to the JSON object in arg. */
static int
report_row(void *arg, int idx, const char *url, int64_t hits, int64_t who)
{
	json_t *o = arg;

	if (idx < 0) {
		json_object_set_new(o, "opens", json_integer(hits));
		json_object_set_new(o, "openers", json_integer(who));
		return 0;
	}
	json_array_append_new(json_object_get(o, "links"),
	                      json_pack("{s:i,s:s,s:I,s:I}", "index", idx,
	                                "url", url, "clicks", (json_int_t)hits,
	                                "contacts", (json_int_t)who));
	return 0;
}

/* The campaign's clicks per link and opens. */
int
track_report_json(struct store *s, int64_t id, json_t **out)
{
	json_t *o = json_pack("{s:[]}", "links");
	int rc = store_track_link_each(s, id, report_row, o);

	if (rc < 0) {
		json_decref(o);
		*out = NULL;
		return rc;
	}
	*out = o;
	return 0;
}
