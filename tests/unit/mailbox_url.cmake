# The --mailbox URL parser: parts, and control characters refused.
mc_unit_test(test_mailbox_url LIBS mc_app)
