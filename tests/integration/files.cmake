# Files (issue 11 item 9, issue 12 item 10): where the store lives, reading
# commands on read-only stores, never a store made by a typo; key and
# secret files open to others draw a warning.
add_test(NAME files_store
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/files_store.sh $<TARGET_FILE:mailcast>)
set_tests_properties(files_store PROPERTIES LABELS integration TIMEOUT 180)
add_test(NAME files_keys
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/files_keys.sh $<TARGET_FILE:mailcast>)
set_tests_properties(files_keys PROPERTIES LABELS integration TIMEOUT 120)
