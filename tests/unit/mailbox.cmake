# The POP3 and IMAP4 client cores: golden transcripts of
# tests/transcripts/pop3/ and tests/transcripts/imap/, parser unit tests.
mc_unit_test(test_pop3_client LIBS mc_proto)
mc_unit_test(test_imap_client LIBS mc_proto)
