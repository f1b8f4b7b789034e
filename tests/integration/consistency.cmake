# One vocabulary (issue 12 items 11-13): help topics, unknown flags, send's
# durations and TLS words, the cleartext refusal, -v.  Ports 29400-29499.
add_test(NAME consistency
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consistency.sh $<TARGET_FILE:mailcast>)
set_tests_properties(consistency PROPERTIES LABELS integration TIMEOUT 180)
