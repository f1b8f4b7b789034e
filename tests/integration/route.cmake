# Direct delivery (issue 5): the direct router against a real DNS server
# (unbound on 127.0.0.1:27053 serving a generated zone of 60 domains,
# tests/helpers/route-dns.sh).  route_probe is the test's tool: it prints
# the route of each domain it is given.
add_executable(route_probe ${CMAKE_CURRENT_SOURCE_DIR}/route_probe.c)
target_link_libraries(route_probe PRIVATE mc_engine)
add_test(NAME route_dns
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/route_dns.sh $<TARGET_FILE:route_probe>)
set_tests_properties(route_dns PROPERTIES LABELS integration TIMEOUT 120)
# End to end: a campaign in direct mode against sinks on 127.0.0.x:27025
# as MX hosts (one address refusing), DNS on 127.0.0.1:27063.
add_test(NAME route_direct_e2e
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/route_direct_e2e.sh $<TARGET_FILE:mailcast>)
set_tests_properties(route_direct_e2e PROPERTIES LABELS integration TIMEOUT 180)
