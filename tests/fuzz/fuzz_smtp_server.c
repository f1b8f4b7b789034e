/*
 * fuzz_smtp_server.c — libFuzzer target for the SMTP server core.
 *
 * The first byte picks the feed size (1..256), so reads split lines, DATA
 * terminators and BDAT chunks at every place.  The core runs with fault
 * rules of every kind; delays are resumed at once, STARTTLS is "started",
 * and a closed session is replaced by a new one, so the whole input is
 * always consumed.  Invariants checked: feed never uses more than it was
 * given, and the output is whole CRLF lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_server.h"

static struct smtp_fault faults[8];
static size_t nfaults;

/* A message hook that reads every byte it is given. */
static int
hook(void *arg, const struct smtp_server_msg *m, char *qid, size_t qidsize)
{
	size_t sum = 0;

	(void)arg;
	for (size_t i = 0; i < m->nrcpts; i++)
		sum += strlen(m->rcpts[i]);
	for (size_t i = 0; m->body && i < m->size; i++)
		sum += m->body[i];
	sum += strlen(m->from) + strlen(m->helo);
	if (qidsize > 1) {
		qid[0] = (char)('A' + sum % 26);
		qid[1] = '\0';
	}
	return sum % 7 == 0 ? -3 : 0;
}

static void
faults_init(void)
{
	static const char *const specs[] = {
	    "rcpt:reject-*=550 5.1.1 no such user",
	    "rcpt:slow-*=delay 10",
	    "mail:close*=421 4.3.2 bye",
	    "rcpt:drop*=drop",
	    "data:cut*=drop-after 20",
	    "dot:%3=451 4.3.0 every third",
	    "ehlo:bad*=delay 5 550 5.7.0 no",
	    "connect:*=delay 1",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (smtp_fault_parse(specs[i], &faults[nfaults], err,
		                     sizeof(err)) == 0)
			nfaults++;
}

/* Whole CRLF lines only. */
static void
check_output(struct smtp_server *s)
{
	struct buf *out = smtp_server_output(s);
	size_t n = buf_len(out);

	if (n > 0 && (n < 2 || memcmp(buf_data(out) + n - 2, "\r\n", 2) != 0))
		abort();
	buf_reset(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_config cfg = {
	    .hostname = "fuzz.test",
	    .max_size = 300,
	    .max_rcpts = 4,
	    .starttls = true,
	    .keep_body = true,
	};
	struct smtp_server s;
	size_t step, off = 1, sessions = 0;

	if (nfaults == 0)
		faults_init();
	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	cfg.faults = faults;
	cfg.nfaults = nfaults;
	cfg.keep_body = data[0] & 1;
	smtp_server_init(&s, &cfg, "127.0.0.1", hook, NULL);
	while (off < size && sessions < 64) {
		size_t n = size - off < step ? size - off : step;
		size_t used = 0;

		switch (smtp_server_want(&s)) {
		case SMTP_SERVER_READ:
			used = smtp_server_feed(&s, data + off, n);
			if (used > n)
				abort();
			off += used;
			break;
		case SMTP_SERVER_DELAY:
			smtp_server_resume(&s);
			break;
		case SMTP_SERVER_STARTTLS:
			smtp_server_tls_started(&s);
			break;
		case SMTP_SERVER_CLOSE:
		case SMTP_SERVER_DROP:
			smtp_server_fini(&s);
			smtp_server_init(&s, &cfg, "::1", hook, NULL);
			sessions++;
			break;
		}
		check_output(&s);
	}
	smtp_server_fini(&s);
	return 0;
}
