# Mailbox tests: `bounces fetch` against a Dovecot started by the test
# (POP3, POP3S, IMAP+STARTTLS, IMAPS; ports 28110/28143/28993/28995 and a
# cutting proxy on 28300), `bounces ingest`, and real bounces from a test
# Postfix (ports 28025..) parsed by `bounces parse` and `ingest`.
add_test(NAME mailbox_dovecot
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mailbox_dovecot.sh $<TARGET_FILE:mailcast>)
set_tests_properties(mailbox_dovecot PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME mailbox_postfix
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mailbox_postfix.sh $<TARGET_FILE:mailcast>)
set_tests_properties(mailbox_postfix PROPERTIES LABELS integration TIMEOUT 120)
# The bounce policy on the poller path (Dovecot on base port 28400).
add_test(NAME bounce_policy_poller
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bounce_policy_poller.sh $<TARGET_FILE:mailcast>)
set_tests_properties(bounce_policy_poller PROPERTIES LABELS integration TIMEOUT 120)
# The same bounce policy on the engine path (a campaign through
# `mailcast sink` with fault rules; port 26660).
add_test(NAME bounce_policy_engine
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bounce_policy_engine.py
    $<TARGET_FILE:mailcast>)
set_tests_properties(bounce_policy_engine PROPERTIES LABELS integration TIMEOUT 300)
