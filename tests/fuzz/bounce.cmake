mc_fuzz_target(bounce fuzz_bounce.c mc_bounce)
