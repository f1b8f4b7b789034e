# Unit tests of the message layer (src/msg) and the token codec (src/bounce/token.c).
mc_unit_test(test_address SOURCES test_address.c LIBS mc_msg)
mc_unit_test(test_token SOURCES test_token.c LIBS mc_bounce mc_msg)
mc_unit_test(test_template SOURCES test_template.c LIBS mc_msg)
