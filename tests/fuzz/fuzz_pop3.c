/*
 * fuzz_pop3.c — the POP3 client core fed hostile server bytes: a session
 * logged in with USER/PASS, then UIDL, RETR and TOP, each answer taken
 * from the input (split at the first bytes' values so framing is
 * exercised at every boundary).  The core must not crash, must stay within
 * its limits, and must end every session with an event.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/pop3_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_client_config cfg = {.user = "u",
	                                 .secret = "p",
	                                 .allow_cleartext = true,
	                                 .max_message = 4096,
	                                 .timeout_ms = 1000};
	struct pop3_client *c = pop3_client_new(&cfg);
	struct pop3_event ev;
	static const enum pop3_cmd cmds[] = {POP3_CMD_UIDL, POP3_CMD_RETR,
	                                     POP3_CMD_TOP, POP3_CMD_LIST,
	                                     POP3_CMD_QUIT};
	size_t off = 0, k = 0;
	uint64_t now = 0;

	pop3_client_start(c, false, now);
	while (off < size) {
		size_t n = 1 + data[off] % 64, len;
		if (n > size - off)
			n = size - off;
		pop3_client_feed(c, data + off, n, ++now);
		off += n;
		pop3_client_output(c, &len);
		pop3_client_sent(c, len, now);
		while (pop3_client_next_event(c, &ev)) {
			if (ev.type == POP3_EV_STARTTLS)
				pop3_client_tls_done(c, true, NULL, now);
			if (ev.type == POP3_EV_READY ||
			    ev.type == POP3_EV_DONE) {
				if (ev.data_len)
					(void)memchr(ev.data, 0, ev.data_len);
				pop3_client_command(c, cmds[k++ % 5], 1, 2,
				                    now);
			}
		}
	}
	pop3_client_eof(c, now);
	while (pop3_client_next_event(c, &ev))
		;
	pop3_client_free(c);
	return 0;
}
