mc_unit_test(test_ingest LIBS mc_app)
