# Findings of the hostile review (a careless user, a hostile peer), each a
# regression test.  Ports 27800-27899.
add_test(NAME review_cli
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/review_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(review_cli PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME review_serve
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/review_serve.py $<TARGET_FILE:mailcast>)
set_tests_properties(review_serve PROPERTIES LABELS integration TIMEOUT 120)
