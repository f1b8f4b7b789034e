# mailcast.conf (src/cli/config.c is compiled into the mailcast binary, so
# the test builds it too) and the weighted relay pick of src/engine.
mc_unit_test(test_config
    SOURCES test_config.c ${PROJECT_SOURCE_DIR}/src/cli/config.c
    LIBS mc_engine PkgConfig::INIH)
target_include_directories(test_config PRIVATE ${PROJECT_SOURCE_DIR}/src)
