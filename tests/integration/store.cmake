# The store: kill -9 during an import, then reopen and re-run.
add_test(NAME store_kill_import
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_kill_import.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_kill_import PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME store_cli
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_cli PROPERTIES LABELS integration TIMEOUT 120)
# `store migrate` and a refused newer schema, on each backend (PostgreSQL
# in a throwaway cluster made by tests/helpers/pg.sh; 77: not installed).
add_test(NAME store_migrate_sqlite
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_migrate.sh $<TARGET_FILE:mailcast> sqlite)
set_tests_properties(store_migrate_sqlite PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME store_migrate_pg
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run
            ${CMAKE_CURRENT_SOURCE_DIR}/store_migrate.sh $<TARGET_FILE:mailcast> postgresql)
set_tests_properties(store_migrate_pg PROPERTIES LABELS "integration;pg"
    SKIP_RETURN_CODE 77 TIMEOUT 180)
# Issue 12 items 1-4: contacts the way list owners work, through the CLI.
add_test(NAME contacts_lifecycle
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/contacts_lifecycle.sh $<TARGET_FILE:mailcast>)
set_tests_properties(contacts_lifecycle PROPERTIES LABELS integration TIMEOUT 180)
# A full disk (ulimit -f): exit 74 and a whole store, never a signal.
add_test(NAME store_full
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/store_full.sh $<TARGET_FILE:mailcast>)
set_tests_properties(store_full PROPERTIES LABELS integration TIMEOUT 120)
# The server ends a campaign run's PostgreSQL session (pg_terminate_backend):
# exit 74 saying the connection was lost (the password never shown), and a
# second start settles its inflight rows as after a crash (pg.sh; port
# 26650).
add_test(NAME store_pg_lost
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run /usr/bin/python3
            ${CMAKE_CURRENT_SOURCE_DIR}/store_pg_lost.py $<TARGET_FILE:mailcast>)
set_tests_properties(store_pg_lost PROPERTIES LABELS "integration;pg"
    SKIP_RETURN_CODE 77 TIMEOUT 180 ENVIRONMENT "MC_TEST_BACKEND=postgresql")
