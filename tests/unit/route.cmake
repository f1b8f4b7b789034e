# Routing (issue 5, direct delivery): the direct router against the fake
# resolver.
mc_unit_test(test_route LIBS mc_engine)
