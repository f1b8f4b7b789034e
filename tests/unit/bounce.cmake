mc_unit_test(test_bounce LIBS mc_bounce)
