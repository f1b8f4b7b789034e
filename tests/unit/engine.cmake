# The campaign engine (src/engine) except direct routing.
mc_unit_test(test_route_relay LIBS mc_engine)
