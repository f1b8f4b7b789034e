# The SMTP server core behind `mailcast sink` (golden exchanges, faults).
mc_unit_test(test_smtp_server LIBS mc_proto)
# The sink's listen-address check (the non-loopback warning).
mc_unit_test(test_sink LIBS mc_net)
