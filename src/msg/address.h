/*
 * address.h — RFC 5321 mailboxes: parsing, validation, normalisation.
 *
 * addr_parse() takes an addr-spec "local@domain" (no display name, no angle
 * brackets) and checks it against RFC 5321 4.1.2 as extended by RFC 6531:
 * a dot-atom or quoted local part (UTF-8 allowed; it then needs SMTPUTF8),
 * a domain of LDH labels or an address literal ([192.0.2.1], [IPv6:...]).
 * Internationalised domains are converted to A-labels with libidn2.  The
 * limits of RFC 5321 4.5.3.1 are enforced: 64 octets of local part, 255 of
 * domain, 254 for the whole address (the 256-octet path includes "<>").
 *
 * addr_parse_mailbox() accepts the header form "Display Name <addr>" too.
 * struct addr is caller-owned and holds no pointers.  Errors: MC_EDATA with
 * a human reason in the caller's err buffer.
 */
#ifndef MC_MSG_ADDRESS_H
#define MC_MSG_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX  64   /* octets, RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255  /* octets, RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX   256  /* local@domain */
#define ADDR_LABEL_MAX  63   /* octets per domain label, RFC 1035 */
#define ADDR_INPUT_MAX  1024 /* longest input addr_parse*() looks at */
#define ADDR_NAME_MAX   256  /* octets of display name kept */

struct addr {
	/* canonical: quoted only when a dot-atom will not do, and then
	 * with only the escapes it needs */
	char local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1]; /* A-labels (libidn2), lower-cased */
	bool utf8; /* local part has non-ASCII: needs SMTPUTF8 */
};

/* Parse an RFC 5321 mailbox "local@domain" (no display name, no <>); 0 or
 * MC_EDATA with a human reason ("local part longer than 64 octets") in err. */
int addr_parse(const char *s, size_t len, struct addr *out, char *err,
               size_t errsz);
/* Normalised "local@domain" for de-duplication, into out (ADDR_PATH_MAX + 1
 * bytes). */
void addr_format(const struct addr *a, char *out, size_t outsz);
/* Parse "addr", "<addr>" or "Display Name <addr>" (name may be quoted);
 * the unquoted display name (UTF-8, possibly empty) goes to name. */
int addr_parse_mailbox(const char *s, size_t len, struct addr *out, char *name,
                       size_t namesz, char *err, size_t errsz);
/* True if s[0..n) is a syntactically valid domain (LDH labels, A-labels). */
bool addr_domain_valid(const char *s, size_t n);

#endif
