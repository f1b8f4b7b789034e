# The SMTP client core: reply framing, SASL, golden transcripts.
mc_unit_test(test_smtp_reply LIBS mc_proto)
mc_unit_test(test_sasl LIBS mc_proto)
mc_unit_test(test_smtp_transcripts LIBS mc_proto)
mc_unit_test(test_smtp_client LIBS mc_proto)
