# mailcast.conf (src/app/config.c, compiled in: it needs only base and
# inih) and the weighted relay pick of src/engine.
mc_unit_test(test_config
    SOURCES test_config.c ${PROJECT_SOURCE_DIR}/src/app/config.c
    LIBS mc_engine PkgConfig::INIH)
target_include_directories(test_config PRIVATE ${PROJECT_SOURCE_DIR}/src)
