/*
 * fuzz_bounce.c — libFuzzer entry point for the bounce parser: any bytes
 * must parse or be refused with a code, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "bounce/bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: parse it, free the result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_result r;
	char err[256];

	bounce_result_init(&r);
	(void)bounce_parse(data, size, &r, err, sizeof(err));
	bounce_result_fini(&r);
	return 0;
}
