# Issue 15, the internet-sized delivery test at a tiny size so it keeps
# working: 200 recipients over 50 domains (greylisting, slow, null MX,
# NXDOMAIN, dead hosts), delivered by mailcast x1, x3 and Postfix through
# the namespace lab (tests/lab/inetlab.sh); every recipient's final state
# checked (bench/inet.sh exits 1 on one wrong).  Root only (77 otherwise);
# its own namespaces.
add_test(NAME inet_lab
    COMMAND ${PROJECT_SOURCE_DIR}/bench/inet.sh 200 50 10 "x1 x3 postfix")
set_tests_properties(inet_lab PROPERTIES LABELS "lab;pg" TIMEOUT 900
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
    ENVIRONMENT "MAILCAST=$<TARGET_FILE:mailcast>;INET_RUN_MAX=300")
