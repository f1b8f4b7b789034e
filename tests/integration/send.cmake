# `mailcast send` against real peers (Postfix smtpd and smtp-sink, aiosmtpd,
# misbehaving servers).  Ports 21000-21999.
foreach(t send_postfix send_aiosmtpd send_errors send_smtp_sink)
	add_test(NAME ${t}
	    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh $<TARGET_FILE:mailcast>)
	set_tests_properties(${t} PROPERTIES LABELS integration TIMEOUT 180)
endforeach()
