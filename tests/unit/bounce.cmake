mc_unit_test(test_bounce LIBS mc_bounce)
mc_unit_test(test_bounce_rules LIBS mc_bounce)
mc_unit_test(test_bounce_policy LIBS mc_bounce)
mc_unit_test(test_bounce_unseen LIBS mc_bounce)
