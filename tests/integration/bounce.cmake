# The bounce parser through the command line: JSON output, exit codes.
add_test(NAME bounce_parse_cli
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bounce_parse_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(bounce_parse_cli PROPERTIES LABELS integration TIMEOUT 60)
# Forged bounces and unsubscribes through `bounces ingest`: nothing the
# ledger did not send to changes (docs/bounces.md).
add_test(NAME bounce_forgery
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bounce_forgery.sh $<TARGET_FILE:mailcast>)
set_tests_properties(bounce_forgery PROPERTIES LABELS integration TIMEOUT 120)
