/*
 * pages.h — the HTML pages of `mailcast serve`: short, no script, no
 * outside resource, no cookie.  The confirmation form has no action: it
 * posts to the page's own URL, whatever prefix a proxy put before it.
 */
#ifndef MC_HTTP_PAGES_H
#define MC_HTTP_PAGES_H

#define PAGE_HEAD(title)                                                       \
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"    \
	"<meta name=\"viewport\" content=\"width=device-width\">"              \
	"<meta name=\"robots\" content=\"noindex\"><title>" title              \
	"</title><style>body{font-family:sans-serif;max-width:34em;"           \
	"margin:3em auto;padding:0 1em}button{font-size:1.1em;"                \
	"padding:.5em 1.2em}</style></head><body>\n"
#define PAGE_TAIL "</body></html>\n"

/* GET /unsubscribe/TOKEN: a question and a button; nothing changes. */
#define PAGE_CONFIRM                                                           \
	PAGE_HEAD("Unsubscribe")                                               \
	"<h1>Unsubscribe?</h1>\n<p>Press the button to stop receiving this "   \
	"list's mail.</p>\n<form method=\"post\">"                             \
	"<input type=\"hidden\" name=\"List-Unsubscribe\" "                    \
	"value=\"One-Click\"><button type=\"submit\">Unsubscribe</button>"     \
	"</form>\n" PAGE_TAIL

/* After an unsubscribe, and GET when already unsubscribed: the
 * preferences (resubscribe). */
#define PAGE_UNSUBSCRIBED                                                      \
	PAGE_HEAD("Unsubscribed")                                              \
	"<h1>You are unsubscribed</h1>\n<p>You will get no more mail from "    \
	"this list.</p>\n<form method=\"post\"><input type=\"hidden\" "        \
	"name=\"resubscribe\" value=\"1\"><p>Changed your mind? "              \
	"<button type=\"submit\">Resubscribe</button></p></form>\n" PAGE_TAIL

#define PAGE_RESUBSCRIBED                                                      \
	PAGE_HEAD("Subscribed")                                                \
	"<h1>You are subscribed again</h1>\n<form method=\"post\">"            \
	"<input type=\"hidden\" name=\"List-Unsubscribe\" "                    \
	"value=\"One-Click\"><button type=\"submit\">Unsubscribe</button>"     \
	"</form>\n" PAGE_TAIL

/* A resubscribe this page may not do (a bounce's or a complaint's). */
#define PAGE_NO_RESUBSCRIBE                                                    \
	PAGE_HEAD("Not possible")                                              \
	"<h1>Not possible here</h1>\n<p>This address cannot be subscribed "    \
	"again from this page; please contact the list's "                     \
	"owner.</p>\n" PAGE_TAIL

/* A form posted from another site. */
#define PAGE_FORBIDDEN                                                         \
	PAGE_HEAD("Forbidden")                                                 \
	"<h1>Forbidden</h1>\n<p>This form must be sent from its own "          \
	"page.</p>\n" PAGE_TAIL

/* One page for every unknown path and every token that is not ours. */
#define PAGE_NOT_FOUND                                                         \
	PAGE_HEAD("Not found")                                                 \
	"<h1>Not found</h1>\n<p>This link is not valid.</p>\n" PAGE_TAIL

#define PAGE_BAD_POST                                                          \
	PAGE_HEAD("Bad request")                                               \
	"<h1>Bad request</h1>\n<p>Expected the form field "                    \
	"List-Unsubscribe=One-Click.</p>\n" PAGE_TAIL

#define PAGE_TOO_BIG                                                           \
	PAGE_HEAD("Too large")                                                 \
	"<h1>Request too large</h1>\n" PAGE_TAIL

#endif
