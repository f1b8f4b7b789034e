# libmailcast.cmake — the library every front end uses, from the objects of
# every layer (included by src/CMakeLists.txt once the layers are defined):
#
#   libmailcast_shared  libmailcast.so.MAJOR (SONAME), exporting only the
#                       functions of include/mailcast.h (libmailcast.map)
#   libmailcast_static  libmailcast.a: every object, every internal name;
#                       what the `mailcast` tool links (src/cli)
#
# The layer libraries mc_<layer> stay: unit tests link the layer they test,
# and the per-layer links keep enforcing the layer rule.  Both libraries
# reuse the layers' objects (compiled once, position-independent).
# Then the install rules: tool, libraries, header, pkg-config file, man
# pages and data, under the GNUInstallDirs folders.

# The version string of the header must agree with its numbers.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/mailcast.h mc_verstr
    REGEX "^#define MAILCAST_VERSION +\"[^\"]*\"$")
string(REGEX REPLACE ".*\"([^\"]*)\"$" "\\1" mc_verstr "${mc_verstr}")
if(NOT mc_verstr STREQUAL PROJECT_VERSION)
	message(FATAL_ERROR "include/mailcast.h: MAILCAST_VERSION \"${mc_verstr}\""
	    " but the numbers say ${PROJECT_VERSION}")
endif()

# src/app/api.c implements the public header.
target_include_directories(mc_app PUBLIC ${PROJECT_SOURCE_DIR}/include)

# Imported targets are seen only in the folder that found them.
find_package(Threads REQUIRED)
get_property(mc_layers GLOBAL PROPERTY MC_LAYERS)
set(mc_objs "")
set(mc_deps "")
foreach(l ${mc_layers})
	list(APPEND mc_objs $<TARGET_OBJECTS:${l}>)
	# The outside libraries each layer links (not the layers themselves).
	get_target_property(ll ${l} INTERFACE_LINK_LIBRARIES)
	if(NOT ll)
		continue()
	endif()
	foreach(d ${ll})
		if(NOT d IN_LIST mc_layers)
			list(APPEND mc_deps ${d})
		endif()
	endforeach()
endforeach()
list(REMOVE_DUPLICATES mc_deps)

set(mc_map ${PROJECT_SOURCE_DIR}/cmake/libmailcast.map)
add_library(libmailcast_shared SHARED ${mc_objs})
set_target_properties(libmailcast_shared PROPERTIES
    OUTPUT_NAME mailcast
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib
    LINK_DEPENDS ${mc_map})
target_link_options(libmailcast_shared PRIVATE
    -Wl,--version-script=${mc_map})
# --no-undefined: the library names every library it needs (a missing one
# fails here, not in a program that loads it).  Not with sanitizers: clang
# leaves their runtime to the executable.
if(NOT MAILCAST_SANITIZE AND NOT MAILCAST_FUZZ)
	target_link_options(libmailcast_shared PRIVATE -Wl,--no-undefined)
endif()
target_link_libraries(libmailcast_shared PRIVATE ${mc_deps})
target_include_directories(libmailcast_shared PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

add_library(libmailcast_static STATIC ${mc_objs})
set_target_properties(libmailcast_static PROPERTIES
    OUTPUT_NAME mailcast
    ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
target_link_libraries(libmailcast_static PUBLIC ${mc_deps})
# The internal headers too: the tool is built from this tree.
target_include_directories(libmailcast_static PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)

# pkg-config: Requires.private and Libs.private are what a static link
# (`pkg-config --static`) needs; a shared link needs -lmailcast only.
file(RELATIVE_PATH MC_PC_UP
    /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" MC_PC_UP "${MC_PC_UP}")
set(MC_PC_REQUIRES "libevent_core libevent_openssl libssl libcrypto libcares")
string(APPEND MC_PC_REQUIRES
    " sqlite3 libpq gmime-3.0 libidn2 libnl-route-3.0 inih jansson libargon2")
set(MC_PC_LIBS_PRIVATE "-lcsv -pthread")
set(MC_PC_LIBS_EXTRA "")
if(MAILCAST_SANITIZE)
	# A library built with ASan/UBSan runs only in a program that loads
	# their runtimes first, so its clients must link them too.
	set(MC_PC_LIBS_EXTRA " -fsanitize=address,undefined")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mailcast.pc.in
    ${PROJECT_BINARY_DIR}/lib/pkgconfig/mailcast.pc @ONLY)

# Man pages, each from one scdoc source in docs/man/.
if(MAILCAST_MAN)
	find_program(SCDOC scdoc REQUIRED)
	set(mc_man "")
	foreach(page mailcast.1 mailcast.conf.5)
		set(src ${PROJECT_SOURCE_DIR}/docs/man/${page}.scd)
		set(out ${PROJECT_BINARY_DIR}/man/${page})
		add_custom_command(OUTPUT ${out}
		    COMMAND ${CMAKE_COMMAND} -E make_directory
			${PROJECT_BINARY_DIR}/man
		    COMMAND ${SCDOC} < ${src} > ${out}
		    DEPENDS ${src}
		    COMMENT "scdoc ${page}" VERBATIM)
		list(APPEND mc_man ${out})
		string(REGEX MATCH "[0-9]$" sec ${page})
		install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
	endforeach()
	add_custom_target(man ALL DEPENDS ${mc_man})
endif()

install(TARGETS libmailcast_shared libmailcast_static
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/mailcast.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/lib/pkgconfig/mailcast.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/
    DESTINATION ${CMAKE_INSTALL_DATADIR}/mailcast)
