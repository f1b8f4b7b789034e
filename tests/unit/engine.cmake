# The campaign engine (src/engine) except direct routing.
mc_unit_test(test_route_relay LIBS mc_engine)
# The engine (issue 10): fake clock, fake resolver, a scripted SMTP peer on
# the test's event base, a SQLite store in a temporary folder.
mc_unit_test(test_engine SOURCES test_engine.c engine_peer.c
    LIBS mc_engine PkgConfig::LIBEVENT)
