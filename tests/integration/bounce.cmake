# The bounce parser through the command line: JSON output, exit codes.
add_test(NAME bounce_parse_cli
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bounce_parse_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(bounce_parse_cli PROPERTIES LABELS integration TIMEOUT 60)
