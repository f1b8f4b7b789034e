mc_unit_test(test_store_csv LIBS mc_store)
mc_unit_test(test_store_conformance LIBS mc_store)
mc_unit_test(test_store_import LIBS mc_store)
