# Diagnostics (issue 7): DNS rules against a local unbound with made-up
# zones, and the namespace lab (client - NAT router with firewall - server).
add_test(NAME diag_dns
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/diag_dns.sh $<TARGET_FILE:mailcast>)
set_tests_properties(diag_dns PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME diag_lab
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/diag_lab.sh $<TARGET_FILE:mailcast>)
set_tests_properties(diag_lab PROPERTIES LABELS lab TIMEOUT 180
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
# The "credentials rejected" rule: AUTH through the SMTP core against
# aiosmtpd on 127.0.0.1:23510 (STARTTLS) and 23511 (implicit TLS).
add_test(NAME diag_auth
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/diag_auth.sh $<TARGET_FILE:mailcast>)
set_tests_properties(diag_auth PROPERTIES LABELS integration TIMEOUT 120)
