mc_unit_test(test_store_csv LIBS mc_store)
mc_unit_test(test_store_conformance LIBS mc_store)
mc_unit_test(test_store_import LIBS mc_store)
# The same suite against PostgreSQL: tests/helpers/pg.sh makes a throwaway
# cluster (unprivileged, a port below 32768, removed afterwards) and runs
# only the postgresql row of the backend table; 77 (skipped) when the
# server is not installed.
add_test(NAME test_store_conformance_pg
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run
            $<TARGET_FILE:test_store_conformance>)
set_tests_properties(test_store_conformance_pg PROPERTIES
    LABELS "integration;pg" SKIP_RETURN_CODE 77 TIMEOUT 300
    ENVIRONMENT "MC_TEST_BACKEND=postgresql")
mc_unit_test(test_sqlite_vfs LIBS mc_store)
