# `mailcast serve` click tracking and the open pixel (issue 13 item 4):
# rewritten links, 302 only to stored URLs, counts, tampered tokens 404,
# erasure.  Ports 27300-27301.
add_test(NAME serve_track
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_track.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_track PROPERTIES LABELS integration TIMEOUT 180)
