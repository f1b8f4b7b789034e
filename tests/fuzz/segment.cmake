mc_fuzz_target(segment fuzz_segment.c mc_store)
