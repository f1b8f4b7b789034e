# mailcast.conf's parser (src/cli/config.c, part of the mailcast binary).
mc_fuzz_target(config fuzz_config.c mc_base PkgConfig::INIH)
foreach(t replay_config fuzz_config)
	if(TARGET ${t})
		target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/config.c)
		target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src)
	endif()
endforeach()
