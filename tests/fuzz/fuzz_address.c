/*
 * fuzz_address.c — addr_parse() and addr_parse_mailbox() on arbitrary
 * bytes; whatever they accept must respect the RFC 5321 limits and parse
 * again to the same normalised form.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "msg/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a, b;
	char err[256], name[ADDR_NAME_MAX + 1], out[ADDR_PATH_MAX + 1];
	char out2[ADDR_PATH_MAX + 1];

	if (addr_parse((const char *)data, size, &a, err, sizeof(err)) == 0) {
		assert(strlen(a.local) <= ADDR_LOCAL_MAX);
		assert(strlen(a.domain) <= ADDR_DOMAIN_MAX);
		addr_format(&a, out, sizeof(out));
		assert(strlen(out) <= ADDR_PATH_MAX - 2);
		/* Normalised forms are fixed points. */
		assert(addr_parse(out, strlen(out), &b, err, sizeof(err)) == 0);
		addr_format(&b, out2, sizeof(out2));
		assert(strcmp(out, out2) == 0);
	} else {
		assert(err[0] != '\0');
	}
	if (addr_parse_mailbox((const char *)data, size, &a, name, sizeof(name),
	                       err, sizeof(err)) == 0) {
		for (const char *p = name; *p; p++)
			assert((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	return 0;
}
