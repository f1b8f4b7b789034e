# The campaign service of src/app (settings, JSON form, the one creation).
if(TARGET mc_app)
	mc_unit_test(test_campaign LIBS mc_app)
endif()
