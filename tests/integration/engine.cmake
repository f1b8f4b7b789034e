# The campaign engine (`campaign`, `broadcast`, `demo`) against real peers:
# Postfix smtp-sink, mailcast sink with faults, kill -9, a recording
# server for the limits.  Ports 26000-26999.
add_test(NAME engine_relay
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine_relay.sh $<TARGET_FILE:mailcast>)
foreach(t engine_faults engine_crash engine_limits engine_demo engine_lease)
	add_test(NAME ${t}
	    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/${t}.py
	    $<TARGET_FILE:mailcast>)
endforeach()
set_tests_properties(engine_relay engine_faults engine_crash engine_limits engine_lease
    engine_demo PROPERTIES LABELS integration TIMEOUT 600)
add_test(NAME engine_tls_auth
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine_tls_auth.sh $<TARGET_FILE:mailcast>)
set_tests_properties(engine_tls_auth PROPERTIES LABELS integration TIMEOUT 180)
add_test(NAME engine_relays
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_relays.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(engine_relays PROPERTIES LABELS integration TIMEOUT 300)
# A suppression made while a run holds the rows stops their mail (port
# 26460), and on PostgreSQL by its notification (pg.sh; port 26461).
add_test(NAME engine_suppress_live
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_suppress_live.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(engine_suppress_live PROPERTIES LABELS integration
    TIMEOUT 120)
add_test(NAME engine_suppress_live_pg
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run /usr/bin/python3
            ${CMAKE_CURRENT_SOURCE_DIR}/engine_suppress_live.py
            $<TARGET_FILE:mailcast>)
set_tests_properties(engine_suppress_live_pg PROPERTIES LABELS
    "integration;pg" SKIP_RETURN_CODE 77 TIMEOUT 180
    ENVIRONMENT "MC_TEST_BACKEND=postgresql;MC_TEST_PORT_BASE=26461")
# Rows the run holds whose contacts are deleted meanwhile: dropped, and not
# counted against their connection's --per-conn (port 26620).
add_test(NAME engine_lost
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_lost.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(engine_lost PROPERTIES LABELS integration TIMEOUT 120)
# The one creation behind `campaign create`, `broadcast` and `demo`.
add_test(NAME campaign_create
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/campaign_create.sh
    $<TARGET_FILE:mailcast> ${PROJECT_SOURCE_DIR}/data)
set_tests_properties(campaign_create PROPERTIES LABELS integration TIMEOUT 120)
# A relay that breaks every session (a stray line after EHLO): the run
# ends, rows deferred with the reason, connections per second bounded.
add_test(NAME engine_hostile
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_hostile.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(engine_hostile PROPERTIES LABELS integration TIMEOUT 180)
# SMTPUTF8 in campaigns: A-labels, the MAIL parameter, failed with the
# reason where the server lacks it.
add_test(NAME engine_smtputf8
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_smtputf8.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(engine_smtputf8 PROPERTIES LABELS integration TIMEOUT 180)
# The lease test (kill -9, SIGSTOP past the lease timeout, an orphaned run)
# on the shared backend: a throwaway PostgreSQL cluster (pg.sh), ports
# 26260-26262 so it can run beside the SQLite one.
add_test(NAME engine_lease_pg
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run /usr/bin/python3
            ${CMAKE_CURRENT_SOURCE_DIR}/engine_lease.py $<TARGET_FILE:mailcast>)
set_tests_properties(engine_lease_pg PROPERTIES LABELS "integration;pg"
    SKIP_RETURN_CODE 77 TIMEOUT 300
    ENVIRONMENT "MC_TEST_BACKEND=postgresql;MC_TEST_PORT_BASE=26260")
# `mailcast worker`: two workers join a running campaign on PostgreSQL and
# finish it after its first run is killed (pg.sh; ports 26270-26271).
add_test(NAME engine_worker_pg
    COMMAND ${PROJECT_SOURCE_DIR}/tests/helpers/pg.sh run /usr/bin/python3
            ${CMAKE_CURRENT_SOURCE_DIR}/engine_worker.py $<TARGET_FILE:mailcast>)
set_tests_properties(engine_worker_pg PROPERTIES LABELS "integration;pg"
    SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "MC_TEST_BACKEND=postgresql")
# A list owner's campaign management (list, show, clone, delete, test,
# schedule, run-due, the frozen template) through a real Postfix.
add_test(NAME campaign_manage
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/campaign_manage.sh $<TARGET_FILE:mailcast>)
set_tests_properties(campaign_manage PROPERTIES LABELS integration TIMEOUT 180)
# A dead relay: the run ends after --linger of waiting, exit 75, and the
# progress line names the relay's error.
add_test(NAME campaign_linger
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/campaign_linger.sh $<TARGET_FILE:mailcast>)
set_tests_properties(campaign_linger PROPERTIES LABELS integration TIMEOUT 180)
