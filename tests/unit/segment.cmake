mc_unit_test(test_segment LIBS mc_store)
