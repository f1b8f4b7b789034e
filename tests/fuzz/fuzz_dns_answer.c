/* fuzz_dns_answer.c — dns_answer_from_wire() for every type we ask for. */
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "dns/mx_order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: parse it as each type; order the MX answer. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dns_type types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX,
	                                      DNS_T_TXT, DNS_T_PTR};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_answer a;
		struct mx_list l;

		dns_answer_init(&a, types[i]);
		dns_answer_from_wire(&a, types[i], data, size);
		if (types[i] == DNS_T_MX &&
		    mx_order("example.test", &a, NULL, NULL, &l) == 0)
			mx_list_fini(&l);
		dns_answer_fini(&a);
	}
	return 0;
}
