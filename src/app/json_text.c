/*
 * json_text.c — a JSON value as text by a template (json_text.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/json_text.h"
#include "base/utf8.h"

/* One "{KEY...}" of json_text_write: spec is KEY[:-N|:N|:t|:kv] (n
 * bytes). */
static void
fmt_field(FILE *fp, const json_t *v, const char *spec, size_t n)
{
	const char *colon = memchr(spec, ':', n);
	size_t klen = colon ? (size_t)(colon - spec) : n;
	char key[64], buf[64], *dump = NULL;
	const json_t *m, *e;
	const char *text = buf, *k;
	long width = colon ? strtol(colon + 1, NULL, 10) : 0;
	size_t w;

	snprintf(key, sizeof(key), "%.*s", (int)klen, spec);
	m = json_object_get(v, key);
	buf[0] = '\0';
	if (colon && strncmp(colon + 1, "kv", 2) == 0 && json_is_object(m)) {
		json_object_foreach((json_t *)m, k, e)
		{
			fprintf(fp, " %s=", k);
			fmt_field(fp, m, k, strlen(k));
		}
		return;
	}
	if (json_is_object(m) || json_is_array(m))
		text = dump = json_dumps(m, JSON_COMPACT);
	else if (json_is_string(m))
		text = json_string_value(m);
	else if (colon && colon[1] == 't' && json_is_integer(m)) {
		time_t t = (time_t)json_integer_value(m);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	} else if (json_is_integer(m))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(m));
	else if (json_is_real(m))
		snprintf(buf, sizeof(buf), "%.1f", json_real_value(m));
	else if (json_is_boolean(m))
		snprintf(buf, sizeof(buf), "%s",
		         json_is_true(m) ? "yes" : "no");
	w = utf8_width(text, strlen(text));
	for (long i = (long)w; width > 0 && i < width; i++)
		fputc(' ', fp);
	fputs(text, fp);
	for (long i = (long)w; width < 0 && i < -width; i++)
		fputc(' ', fp);
	free(dump);
}

/* v as text by fmt; see json_text.h. */
void
json_text_write(FILE *fp, const json_t *v, const char *fmt)
{
	size_t i;
	const json_t *e;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) json_text_write(fp, e, fmt);
		return;
	}
	for (const char *p = fmt; *p;) {
		const char *end = p[0] == '{' ? strchr(p, '}') : NULL;

		if (end == NULL) {
			fputc(*p++, fp);
			continue;
		}
		fmt_field(fp, v, p + 1, (size_t)(end - p - 1));
		p = end + 1;
	}
}
