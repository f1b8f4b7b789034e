# Diagnostics (issue 7): DNS rules against a local unbound with made-up
# zones, and the namespace lab (client - NAT router with firewall - server).
add_test(NAME diag_dns
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/diag_dns.sh $<TARGET_FILE:mailcast>)
set_tests_properties(diag_dns PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME diag_lab
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/diag_lab.sh $<TARGET_FILE:mailcast>)
set_tests_properties(diag_lab PROPERTIES LABELS lab TIMEOUT 180
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
