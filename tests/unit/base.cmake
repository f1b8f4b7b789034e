mc_unit_test(test_base LIBS mc_base)
mc_unit_test(test_log LIBS mc_base)
mc_unit_test(test_utf8 LIBS mc_base)
