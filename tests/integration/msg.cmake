# Messages built by `mailcast preview`, checked by independent implementations:
# GMime 3 parses them, python3-dkim verifies their signatures (DNS replaced by
# a function), opendkim-testmsg verifies them inside namespaces with a private
# dnsmasq (root; exit 77 = skipped).
add_test(NAME msg_verify
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/msg_verify.py $<TARGET_FILE:mailcast>)
set_tests_properties(msg_verify PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME msg_opendkim
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/msg_opendkim.sh $<TARGET_FILE:mailcast>)
set_tests_properties(msg_opendkim PROPERTIES LABELS "integration;lab" TIMEOUT 120
    SKIP_RETURN_CODE 77)
