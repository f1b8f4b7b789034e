/*
 * fuzz_config.c — mailcast.conf's parser (src/app/config.c) on any text:
 * no crash, no leak; what it accepts has every relay with a host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: parse it as a whole mailcast.conf. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_conf c;
	char err[1024];
	char *text;

	if (size > CONF_FILE_MAX)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_parse(text, "fuzz.conf", &c, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < c.nrelays; i++)
			if (c.relays[i].host == NULL)
				abort();
		conf_free(&c);
	}
	free(text);
	return 0;
}
