mc_fuzz_target(smtp_client fuzz_smtp_client.c mc_proto)
