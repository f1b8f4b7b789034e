/*
 * fuzz_smtp_client.c — the SMTP client core fed arbitrary server bytes.
 *
 * The first input byte picks the configuration (TLS policy, AUTH, pipelining,
 * chunking); the second the size of the pieces the rest is fed in.  Two
 * transactions are queued; the core's output and events are drained after
 * each piece, TLS handshakes "succeed" and time moves on, so every path
 * from greeting to QUIT can be reached.  The core must never crash, leak or
 * leave a submitted transaction without an outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drain(struct smtp_client *c, int *done, uint64_t now)
{
	struct smtp_event ev;
	size_t len;

	while (smtp_client_output(c, &len), len > 0)
		smtp_client_sent(c, len, now);
	while (smtp_client_next_event(c, &ev)) {
		if (ev.type == SMTP_EV_TXN_DONE)
			(*done)++;
		else if (ev.type == SMTP_EV_STARTTLS)
			smtp_client_tls_done(c, true, NULL, now);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char body[] = "Subject: x\n\n.dot\nline\r\n";
	struct smtp_client_config cfg;
	struct smtp_rcpt r1[2], r2[1];
	struct smtp_txn t1, t2;
	uint64_t now = 1000;
	int done = 0;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.helo_name = "fuzz.example";
	cfg.tls = (enum smtp_tls_policy)(data[0] & 3);
	if (data[0] & 4) {
		cfg.auth_user = "user";
		cfg.auth_secret = "secret";
		cfg.auth_allow_cleartext = (data[0] & 8) != 0;
	}
	cfg.no_pipelining = (data[0] & 16) != 0;
	cfg.no_chunking = (data[0] & 32) != 0;
	cfg.chunk_size = (data[0] & 64) ? 8 : 0;
	size_t piece = (size_t)data[1] % 64 + 1;
	data += 2;
	size -= 2;

	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	memset(r1, 0, sizeof(r1));
	memset(r2, 0, sizeof(r2));
	r1[0].addr = "a@example.net";
	r1[1].addr = "b@example.net";
	r2[0].addr = "c@example.net";
	t1.mail_from = "s@example.org";
	t1.rcpts = r1;
	t1.nrcpts = 2;
	t1.body = body;
	t1.body_len = sizeof(body) - 1;
	t2 = t1;
	t2.rcpts = r2;
	t2.nrcpts = 1;
	t2.mail_from = "";

	struct smtp_client *c = smtp_client_new(&cfg);
	smtp_client_start(c, cfg.tls == SMTP_TLS_IMPLICIT, now);
	smtp_client_submit(c, &t1, now);
	smtp_client_submit(c, &t2, now);
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		smtp_client_feed(c, data + off, n, now);
		drain(c, &done, now);
		now += 1000;
	}
	smtp_client_quit(c, now);
	drain(c, &done, now);
	/* Silence: every timeout fires, every transaction ends. */
	smtp_client_tick(c, now + 3600 * 1000);
	drain(c, &done, now);
	smtp_client_eof(c, now);
	drain(c, &done, now);
	if (done != 2)
		abort();
	smtp_client_free(c);
	return 0;
}
