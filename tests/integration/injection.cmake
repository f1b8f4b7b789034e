# Line-break injection through the command line (issue 11, defect 6): a
# password with CRLF, %0d%0a in the URL's user, send --helo with CRLF,
# against fake POP3/SMTP servers that record every byte (20108-20109).
add_test(NAME mailbox_injection
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mailbox_injection.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(mailbox_injection PROPERTIES LABELS integration
    TIMEOUT 120)
