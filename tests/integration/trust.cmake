# Trust fixes of issue 11 end to end (token keys in the store, VERP by
# default and DMARC alignment, validation at create, killed runs in the
# report, mailcast.conf bytes).  Port 26600.
add_test(NAME campaign_trust
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/campaign_trust.sh $<TARGET_FILE:mailcast>)
set_tests_properties(campaign_trust PROPERTIES LABELS integration TIMEOUT 180)
