# The POP3 and IMAP client cores under hostile server bytes.
mc_fuzz_target(pop3 fuzz_pop3.c mc_proto)
mc_fuzz_target(imap fuzz_imap.c mc_proto)
