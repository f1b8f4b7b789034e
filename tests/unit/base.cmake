mc_unit_test(test_base LIBS mc_base)
