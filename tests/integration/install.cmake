# libmailcast installed into a fresh prefix: pkg-config, the example built
# against the installed library and run against `mailcast sink` (a free
# port below 32768), the man pages, the exported symbols.
add_test(NAME install_library
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install.sh ${PROJECT_BINARY_DIR}
	${PROJECT_SOURCE_DIR})
set_tests_properties(install_library PROPERTIES LABELS integration
    TIMEOUT 300)
