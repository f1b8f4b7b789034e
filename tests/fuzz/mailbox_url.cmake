# The --mailbox URL parser (its accepted parts hold no control character).
mc_fuzz_target(mailbox_url fuzz_mailbox_url.c mc_app)
