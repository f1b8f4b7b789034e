# Fuzz targets of the message layer: the template compiler (+ one render) and
# the address parser.
mc_fuzz_target(template fuzz_template.c mc_msg)
mc_fuzz_target(address fuzz_address.c mc_msg)
