/*
 * links.h — click and open tracking in a message (docs/tracking.md): the
 * links of a template that can be tracked, and the MAC a tracked link
 * carries.
 *
 * A tracked link is PUBLIC/c/TOKEN-IDX-MAC: TOKEN the recipient's token
 * (bounce/token.h: campaign and contact, signed), IDX the link's index in
 * the campaign's stored link table and MAC the first 8 octets (hex) of
 * HMAC-SHA256(key, "mailcast-click-v1:" TOKEN ":" IDX) with the key that
 * signed TOKEN; the open pixel is PUBLIC/o/TOKEN-MAC.gif with IDX -1.
 * The target is never in the link: `mailcast serve` looks IDX up in the
 * store (no open redirect).  A URL is trackable when it starts with
 * http:// or https://, holds no merge field and, in HTML, is the value of
 * an href attribute.
 */
#ifndef MC_MSG_LINKS_H
#define MC_MSG_LINKS_H

#include <stdbool.h>
#include <stddef.h>

#define MSG_LINK_URL_MAX 2000 /* octets of a trackable URL */
#define MSG_LINKS_MAX    500  /* tracked links of a template */
#define MSG_LINK_MAC_HEX 16   /* hex digits of a link's MAC */

/* The length of the URL starting at s[0..n) (http:// or https://), or 0
 * when none starts there or it cannot be tracked. */
size_t msg_link_len(const char *s, size_t n);

/* Call fn for each distinct trackable URL of template source src[0..n),
 * in order of first appearance; fn's non-zero stops and is returned. */
int msg_links_scan(const char *src, size_t n,
                   int (*fn)(void *arg, const char *url, size_t len),
                   void *arg);

/* The MAC of link idx (-1: the open pixel) for token, as hex into out
 * (>= MSG_LINK_MAC_HEX + 1). */
void msg_link_mac(const unsigned char *key, size_t keylen, const char *token,
                  int idx, char *out);

#endif
