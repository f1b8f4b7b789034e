# The SPF parser and the DNS answer handling (wire -> struct dns_answer).
mc_fuzz_target(spf_parse fuzz_spf_parse.c mc_diag)
mc_fuzz_target(dns_answer fuzz_dns_answer.c mc_dns)
