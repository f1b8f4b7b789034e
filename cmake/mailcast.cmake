# Helpers shared by every CMakeLists.txt of the project.

# mc_layer(NAME SOURCES... DEPS layers... LIBS imported-targets...)
# A layer is a static library mc_NAME; it may link only the layers that
# cmake/check-layers.cmake allows it to include.  Its objects are
# position-independent, because cmake/libmailcast.cmake puts the objects of
# every layer into libmailcast.so as well as libmailcast.a.
# -fno-semantic-interposition keeps -fPIC from costing speed: no function of
# ours is meant to be replaced at load time, so GCC may inline and call
# directly as without -fPIC (the shared library's version script keeps the
# internal names out of its dynamic symbol table in any case).
function(mc_layer name)
	cmake_parse_arguments(L "" "" "SOURCES;DEPS;LIBS" ${ARGN})
	if(NOT L_SOURCES)
		return() # a layer with no code yet
	endif()
	add_library(mc_${name} STATIC ${L_SOURCES})
	set_target_properties(mc_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
	target_compile_options(mc_${name} PRIVATE -fno-semantic-interposition)
	target_include_directories(mc_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
	foreach(d ${L_DEPS})
		target_link_libraries(mc_${name} PUBLIC mc_${d})
	endforeach()
	if(L_LIBS)
		target_link_libraries(mc_${name} PUBLIC ${L_LIBS})
	endif()
	set_property(GLOBAL APPEND PROPERTY MC_LAYERS mc_${name})
endfunction()

# mc_unit_test(NAME SOURCES... LIBS... [LABELS...])
# One cmocka executable, one ctest entry, label "quick" unless told.
function(mc_unit_test name)
	cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
	if(NOT T_SOURCES)
		set(T_SOURCES ${name}.c)
	endif()
	if(NOT T_LABELS)
		set(T_LABELS quick)
	endif()
	add_executable(${name} ${T_SOURCES})
	target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
	add_test(NAME ${name} COMMAND ${name})
	set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}"
	    ENVIRONMENT "MAILCAST_SRCDIR=${PROJECT_SOURCE_DIR};MAILCAST_BINDIR=${PROJECT_BINARY_DIR}")
endfunction()

# mc_fuzz_target(NAME SOURCE LIBS...)
# With MAILCAST_FUZZ (clang), a libFuzzer binary fuzz_NAME.  Always, a
# replay binary replay_NAME that feeds every file of tests/fuzz/corpus/NAME
# to the same entry point, registered with ctest (label "quick").
function(mc_fuzz_target name source)
	set(libs ${ARGN})
	add_executable(replay_${name} ${source}
	    ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
	target_link_libraries(replay_${name} PRIVATE ${libs})
	add_test(NAME fuzz_replay_${name}
	    COMMAND replay_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
	set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS quick)
	if(MAILCAST_FUZZ)
		add_executable(fuzz_${name} ${source})
		target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
		target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(fuzz_${name} PRIVATE ${libs})
	endif()
endfunction()
