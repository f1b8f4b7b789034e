# Segments (--where) through the CLI, with a capture SMTP server.
add_test(NAME segment_cli
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/segment_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(segment_cli PROPERTIES LABELS integration TIMEOUT 120)
# One --where, two dialects: SQLite and a throwaway PostgreSQL cluster on
# 127.0.0.1:15497 must select the same contacts (segment_cross runs both).
add_executable(segment_cross ${CMAKE_CURRENT_SOURCE_DIR}/segment_cross.c)
target_link_libraries(segment_cross PRIVATE mc_store)
add_test(NAME segment_pg
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/segment_pg.sh
        $<TARGET_FILE:mailcast> $<TARGET_FILE:segment_cross>)
set_tests_properties(segment_pg PROPERTIES LABELS integration TIMEOUT 120)
# The segment and campaign-management ops through the CLI on PostgreSQL
# (a throwaway cluster: pg.sh).
add_test(NAME segment_pg_cli
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run
        bash ${CMAKE_CURRENT_SOURCE_DIR}/segment_pg_cli.sh $<TARGET_FILE:mailcast>)
set_tests_properties(segment_pg_cli PROPERTIES LABELS "integration;pg"
    TIMEOUT 180 SKIP_RETURN_CODE 77)
