# mailcast.conf's parser (src/app/config.c).
mc_fuzz_target(config fuzz_config.c mc_base PkgConfig::INIH)
foreach(t replay_config fuzz_config)
	if(TARGET ${t})
		target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src/app/config.c)
		target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src)
	endif()
endforeach()
