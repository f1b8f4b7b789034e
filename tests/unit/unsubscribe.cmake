mc_unit_test(test_unsubscribe LIBS mc_app)
