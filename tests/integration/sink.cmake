# `mailcast sink` against independent clients (Python smtplib and a raw
# socket): Maildir contents byte for byte, STARTTLS, BDAT, every fault kind.
# Ports 20100-20102 on 127.0.0.1.
add_test(NAME sink_integration
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/sink_test.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(sink_integration PROPERTIES LABELS integration
    TIMEOUT 120)
# `mailcast sink` under abuse: out of descriptors (prlimit --nofile=32, 60
# clients) it pauses accepting instead of spinning; a bare CR in EHLO is
# 501 and never stored.  Ports 20105-20106 on 127.0.0.1.
add_test(NAME sink_abuse
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/sink_abuse.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(sink_abuse PROPERTIES LABELS integration TIMEOUT 60)
