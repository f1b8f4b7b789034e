/*
 * template_int.h — the compiled form of a template, shared by template.c
 * (which builds it) and render.c (which walks it).  Not for other layers.
 *
 * A part (a header value or a body) is a list of segments: literal text
 * (owned copies, LF line ends) or a reference to a merge value or a
 * built-in.  An unknown field with a default compiles to a literal.
 */
#ifndef MC_MSG_TEMPLATE_INT_H
#define MC_MSG_TEMPLATE_INT_H

#include <stdbool.h>

#include "msg/address.h"
#include "msg/template.h"

enum seg_kind {
	SEG_LIT,
	SEG_FIELD,
	SEG_EMAIL,
	SEG_UNSUB,
	SEG_CAMPAIGN,
	SEG_TOKEN,
};

struct seg {
	enum seg_kind kind;
	size_t idx; /* SEG_FIELD: index into the values */
	char *s;    /* SEG_LIT text; else the default or NULL */
	size_t len;
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
	struct tpart text, html;
	bool has_html;
	char *att[TMPL_ATTACH_MAX]; /* MIME part headers + body */
	size_t att_len[TMPL_ATTACH_MAX];
	size_t natt;
	char *unsub_url, *unsub_mailto, *msgid_domain, *campaign;
	char alt_boundary[48], mix_boundary[48];
	size_t nfields;
};

#endif
