# Segments (--where) through the CLI, with a capture SMTP server.
add_test(NAME segment_cli
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/segment_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(segment_cli PROPERTIES LABELS integration TIMEOUT 120)
