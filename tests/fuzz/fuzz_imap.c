/*
 * fuzz_imap.c — the IMAP response reader and client core fed hostile
 * server bytes: literals, nested lists, FETCH, SEARCH, continuation
 * requests, in pieces of varying size.  After login the core is given
 * SELECT, SEARCH, FETCH, MOVE and IDLE in turn.  No crash, bounded memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/imap_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_client_config cfg = {.user = "u",
	                                 .secret = "p",
	                                 .allow_cleartext = true,
	                                 .max_message = 4096,
	                                 .timeout_ms = 1000};
	struct imap_client *c = imap_client_new(&cfg);
	struct imap_event ev;
	size_t off = 0, k = 0, len;
	uint64_t now = 0;

	imap_client_start(c, false, now);
	while (off < size) {
		size_t n = 1 + data[off] % 64;
		if (n > size - off)
			n = size - off;
		imap_client_feed(c, data + off, n, ++now);
		off += n;
		imap_client_output(c, &len);
		imap_client_sent(c, len, now);
		while (imap_client_next_event(c, &ev)) {
			if (ev.type == IMAP_EV_STARTTLS)
				imap_client_tls_done(c, true, NULL, now);
			if (ev.type == IMAP_EV_IDLE_WAKE)
				imap_client_idle_done(c, now);
			if (ev.type == IMAP_EV_READY ||
			    ev.type == IMAP_EV_DONE) {
				switch (k++ % 5) {
				case 0:
					imap_client_command(c, IMAP_CMD_SELECT,
					                    "INBOX", NULL, 0,
					                    now);
					break;
				case 1:
					imap_client_command(c, IMAP_CMD_SEARCH,
					                    NULL, "ALL", 0,
					                    now);
					break;
				case 2:
					imap_client_command(c, IMAP_CMD_FETCH,
					                    NULL, NULL, 1, now);
					break;
				case 3:
					imap_client_command(c, IMAP_CMD_MOVE,
					                    "B", NULL, 1, now);
					break;
				default:
					imap_client_command(c, IMAP_CMD_IDLE,
					                    NULL, NULL, 0, now);
				}
			}
		}
	}
	imap_client_eof(c, now);
	while (imap_client_next_event(c, &ev))
		;
	imap_client_free(c);
	return 0;
}
