# The store: kill -9 during an import, then reopen and re-run.
add_test(NAME store_kill_import
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_kill_import.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_kill_import PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME store_cli
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_cli PROPERTIES LABELS integration TIMEOUT 120)
# Issue 12 items 1-4: contacts the way list owners work, through the CLI.
add_test(NAME contacts_lifecycle
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/contacts_lifecycle.sh $<TARGET_FILE:mailcast>)
set_tests_properties(contacts_lifecycle PROPERTIES LABELS integration TIMEOUT 180)
