/*
 * template_int.h — the compiled form of a template, shared by template.c
 * (which builds it) and render.c (which walks it).  Not for other layers.
 *
 * A part (a header value or a body) is a list of segments: literal text
 * (owned copies, LF line ends) or a reference to a merge value or a
 * built-in.  An unknown field with a default compiles to a literal.
 * Literals of the text and HTML bodies also carry their encoded forms and
 * what the choice of transfer encoding needs to know of them (struct
 * mime_piece), so rendering copies them instead of encoding them again.
 */
#ifndef MC_MSG_TEMPLATE_INT_H
#define MC_MSG_TEMPLATE_INT_H

#include <stdbool.h>

#include "msg/address.h"
#include "msg/mime.h"
#include "msg/template.h"

enum seg_kind {
	SEG_LIT,
	SEG_FIELD,
	SEG_EMAIL,
	SEG_UNSUB,
	SEG_CAMPAIGN,
	SEG_TOKEN,
	SEG_LINK, /* a tracked link: idx, s its own URL */
	SEG_OPEN, /* the open pixel */
};

struct seg {
	enum seg_kind kind;
	size_t idx; /* SEG_FIELD: index into the values */
	char *s;    /* SEG_LIT text; else the default or NULL */
	size_t len;
	/* Body SEG_LIT only: s with CRLF line ends (the 7bit body), the
	 * lines between its first and last LF (s[mid_b..mid_e)) as
	 * quoted-printable — they encode alike wherever they stand — and
	 * what mime_choose_cte() needs to know of s. */
	char *crlf, *qp_mid;
	size_t crlf_len, qp_mid_len;
	size_t mid_b, mid_e;
	struct mime_piece piece;
};

struct tpart {
	struct seg *v;
	size_t n;
};

struct thdr {
	char *name;
	struct tpart val;
};

struct tmpl {
	char *name;
	struct addr from;
	char from_spec[ADDR_PATH_MAX + 1];
	char *from_line;     /* "From: ...\r\n", built at compile */
	char *reply_to_line; /* or NULL */
	bool has_subject;
	struct tpart subject;
	bool has_to;
	struct tpart to_name;
	struct thdr hdrs[TMPL_HEADERS_MAX];
	size_t nhdrs;
	bool has_list_id;
	char *list_id_line; /* "List-Id: <...>\r\n" unless has_list_id */
	struct tpart text, html;
	bool has_html;
	char *att[TMPL_ATTACH_MAX]; /* MIME part headers + body */
	size_t att_len[TMPL_ATTACH_MAX];
	size_t natt;
	char *unsub_url, *unsub_mailto, *msgid_domain, *campaign;
	char *track_base; /* "https://host" of tracked links */
	char alt_boundary[48], mix_boundary[48];
	size_t nfields;
};

#endif
