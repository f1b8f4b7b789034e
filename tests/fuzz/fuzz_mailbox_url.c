/*
 * fuzz_mailbox_url.c — mailbox_url_parse() on arbitrary bytes (cut at the
 * first NUL, as argv would be).  Whatever it accepts must hold no control
 * character in the user, host or folder — those go on POP3/IMAP command
 * lines — and a refusal must say why.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/mailbox_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No byte below 0x20 and no DEL. */
static void
assert_clean(const char *s)
{
	for (; *s; s++)
		assert((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1);
	struct mailbox_url u;
	char err[512] = "";

	memcpy(url, data, size);
	url[size] = '\0';
	if (mailbox_url_parse(url, &u, err, sizeof(err)) == 0) {
		assert_clean(u.user);
		assert_clean(u.host);
		assert_clean(u.folder);
		assert(u.port >= 1 && u.port <= 65535);
	} else {
		assert(err[0] != '\0');
	}
	free(url);
	return 0;
}
