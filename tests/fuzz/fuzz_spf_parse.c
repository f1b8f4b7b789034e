/* fuzz_spf_parse.c — spf_parse() and dnscheck_tag() on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag/dnscheck.h"
#include "diag/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spf_record rec;
	char err[128], val[256];
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)spf_parse(s, strlen(s), &rec, err, sizeof(err));
	(void)dnscheck_tag(s, "p", val, sizeof(val));
	free(s);
	return 0;
}
