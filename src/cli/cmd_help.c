/*
 * cmd_help.c — `mailcast help [TOPIC]`: longer help than --help gives.
 * The template text is docs/template.md, kept in step by hand.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"

static const char help_template[] =
    "# Message templates\n"
    "\n"
    "A template is one UTF-8 text file: header fields, a blank line, the text\n"
    "body, and optionally `%% html` followed by the HTML body.\n"
    "\n"
    "```\n"
    "# Lines starting with '#' in the header block are comments.\n"
    "From: Example News <news@example.org>\n"
    "Subject: {{first_name|Hello}}, the {{campaign}} issue\n"
    "To: {{first_name}} {{last_name}} <{{email}}>\n"
    "Reply-To: help@example.org\n"
    "List-Id: Example News <news.example.org>\n"
    "Feedback-ID: {{campaign}}:news:example\n"
    "Attach: price-list.pdf\n"
    "Attach: map.bin; type=image/png\n"
    "\n"
    "Hello {{first_name|there}},\n"
    "\n"
    "This month ...\n"
    "\n"
    "Unsubscribe: {{unsubscribe_url}}\n"
    "%% html\n"
    "<p>Hello {{first_name|there}},</p>\n"
    "<p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>\n"
    "```\n"
    "\n"
    "## Header block\n"
    "\n"
    "| field | |\n"
    "|---|---|\n"
    "| `From` | required; `Name <addr>` or `addr`; no merge fields |\n"
    "| `Subject` | required; merge fields allowed |\n"
    "| `To` | optional; `{{email}}` or `NAME <{{email}}>` (NAME may use "
    "fields); default: the bare address |\n"
    "| `Reply-To` | optional; no merge fields |\n"
    "| `List-Id` | optional; default `<LOCAL.DOMAIN>` of From |\n"
    "| `Feedback-ID`, `X-…`, others | copied, merge fields allowed |\n"
    "| `Attach` | optional, repeatable: `FILE` or `FILE; type=TYPE/SUBTYPE`; "
    "relative to the template's folder; read once when the template is "
    "compiled |\n"
    "\n"
    "A line starting with a space or tab continues the field above.  mailcast\n"
    "writes `Date`, `Message-ID`, `MIME-Version`, `Content-*`,\n"
    "`List-Unsubscribe`, `List-Unsubscribe-Post` and `DKIM-Signature` itself;\n"
    "naming one of them (or `Cc`, `Bcc`, `Sender`, `Return-Path`, `Received`)\n"
    "in a template is an error.\n"
    "\n"
    "## Body\n"
    "\n"
    "Everything after the blank line is the text body.  It may start with the\n"
    "line `%% text` (optional).  A line `%% html` starts the HTML body.  A "
    "text\n"
    "body is required: an HTML-only message is worse mail.\n"
    "\n"
    "## Merge fields\n"
    "\n"
    "`{{name}}` is replaced by the recipient's attribute `name` (a CSV "
    "column,\n"
    "`--set name=value`); names are matched without regard to case.\n"
    "`{{name|default}}` uses `default` when the attribute is missing or "
    "empty;\n"
    "a default is treated like a value (escaped in the HTML body).\n"
    "Built-in fields: `{{email}}` (the recipient's address), "
    "`{{unsubscribe_url}}`\n"
    "(their one-click link), `{{campaign}}` (the campaign's name), "
    "`{{token}}`\n"
    "(their signed token).  `\\{{` writes a literal `{{`.\n"
    "\n"
    "A field that is neither an attribute nor a built-in and has no default "
    "is\n"
    "an error when the template is compiled, before anything is sent:\n"
    "\n"
    "```\n"
    "news.tmpl:14: unknown field 'frist_name' and no default (write "
    "{{frist_name|default}}); fields: email, unsubscribe_url, campaign, token, "
    "first_name, last_name\n"
    "```\n"
    "\n"
    "## What happens to values\n"
    "\n"
    "- In header fields, every control character (CR, LF, NUL, tab …) becomes "
    "a\n"
    "  space and a value is cut to 900 octets: a value can never start a new\n"
    "  header field.  Non-ASCII text is written as RFC 2047 encoded-words; "
    "the\n"
    "  address in `To` is never encoded.\n"
    "- In the text body, NUL and other control characters (except tab and "
    "line\n"
    "  ends) are dropped and invalid UTF-8 becomes U+FFFD.\n"
    "- In the HTML body the same, and `& < > \" '` are escaped automatically.\n"
    "- Each body is sent as 7bit only when that is safe (ASCII, short lines, "
    "no\n"
    "  `=_`); otherwise quoted-printable, or base64 when mostly non-ASCII.  "
    "MIME\n"
    "  boundaries contain `=_`, which no encoded body can contain, so no "
    "value\n"
    "  can close or open a part.\n"
    "\n"
    "## Unsubscribe, envelope, tokens\n"
    "\n"
    "Each message carries `List-Unsubscribe: <URL>, <mailto:…>` and\n"
    "`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).  URL is "
    "the\n"
    "campaign's unsubscribe prefix followed by the recipient's token (default\n"
    "`https://FROM-DOMAIN/unsubscribe/TOKEN`); the mailto goes to\n"
    "`unsubscribe@FROM-DOMAIN?subject=unsubscribe TOKEN` unless configured.  "
    "The\n"
    "envelope sender is `bounces+TOKEN@BOUNCE-DOMAIN` (VERP).\n"
    "\n"
    "The token is HMAC-SHA256 (80 bits kept) over the campaign and contact "
    "ids,\n"
    "in lower-case base32, at most 44 characters.  Its key is a file of at "
    "least\n"
    "32 random bytes, hex or raw:\n"
    "\n"
    "```\n"
    "openssl rand -hex 32 > token.key && chmod 600 token.key\n"
    "```\n"
    "\n"
    "Changing the key invalidates the tokens of every message already sent\n"
    "(their bounces and unsubscribe clicks can no longer be matched).\n"
    "\n"
    "## Trying a template\n"
    "\n"
    "```\n"
    "mailcast preview --template news.tmpl --set email=jo@example.org --set "
    "first_name=Jo\n"
    "mailcast preview --template news.tmpl --csv list.csv --row 3 \\\n"
    "    --dkim-key k.pem --dkim-selector s1 --token-key token.key\n"
    "```\n";

static const struct {
	const char *topic, *summary, *text;
} topics[] = {
    {"template", "the template file format and merge fields", help_template},
};

int
cmd_help(int argc, char **argv)
{
	size_t n = sizeof(topics) / sizeof(topics[0]);

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: mailcast help TOPIC\n\ntopics:\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-10s %s\n", topics[i].topic,
			       topics[i].summary);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], topics[i].topic) == 0) {
			fputs(topics[i].text, stdout);
			return EX_OK;
		}
	}
	fprintf(stderr, "mailcast: help: no topic '%s' (try: mailcast help)\n",
	        argv[1]);
	return EX_USAGE;
}
