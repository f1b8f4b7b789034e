mc_unit_test(test_segment LIBS mc_store PkgConfig::SQLITE)
mc_unit_test(test_app_segments LIBS mc_app)
