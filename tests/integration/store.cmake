# The store: kill -9 during an import, then reopen and re-run.
add_test(NAME store_kill_import
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_kill_import.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_kill_import PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME store_cli
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_cli PROPERTIES LABELS integration TIMEOUT 120)
