# Webhooks out (src/app/webhook.c): the signature against a vector made
# with Python's hmac, the [webhook NAME] sections of mailcast.conf.
mc_unit_test(test_webhook LIBS mc_app)
