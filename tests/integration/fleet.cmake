# Issue 15, fleet limits: three workers on PostgreSQL in the namespace lab
# (tests/lab/fleetlab.sh), kill -9 and a cut link, connection caps counted
# by the receivers.  Root only (77 otherwise); its own namespaces, so no
# loopback port is shared with other tests.
add_test(NAME fleet_chaos
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/fleet_chaos.py
            $<TARGET_FILE:mailcast>)
set_tests_properties(fleet_chaos PROPERTIES LABELS "lab;pg" TIMEOUT 600
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
