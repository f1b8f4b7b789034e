mc_fuzz_target(csv fuzz_csv.c mc_store)
