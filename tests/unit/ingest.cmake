mc_unit_test(test_ingest LIBS mc_app)
mc_unit_test(test_poller LIBS mc_app PkgConfig::LIBEVENT)
