# The SMTP server core behind `mailcast sink`.
mc_fuzz_target(smtp_server fuzz_smtp_server.c mc_proto)
