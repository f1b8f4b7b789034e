# The public API (include/mailcast.h) as a program sees it; links the
# static library, which holds every layer.
mc_unit_test(test_api LIBS libmailcast_static)
