/*
 * json_text.h — a JSON value (an operation's result, app/op.h) as text
 * for a person, by a template: the CLI's lines and tables.
 */
#ifndef MC_APP_JSON_TEXT_H
#define MC_APP_JSON_TEXT_H

#include <stdio.h>

#include <jansson.h>

/*
 * Write v to fp by fmt, each "{KEY}" replaced by v's member KEY (a string
 * as it is, a number, yes/no for a boolean, nothing for null or a
 * missing key).  "{KEY:-N}" pads it to N terminal columns on the right
 * (counted with utf8_width, so non-ASCII names line up), "{KEY:N}" on the
 * left, "{KEY:t}" prints a number of seconds since the epoch as an ISO
 * 8601 UTC time; an object or array member is written as compact JSON,
 * or with "{KEY:kv}" an object as " name=value" for each member.  A JSON
 * array is written element by element, each by fmt.  v is not consumed.
 */
void json_text_write(FILE *fp, const json_t *v, const char *fmt);

#endif
