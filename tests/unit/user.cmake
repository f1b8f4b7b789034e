# Dashboard users (src/app/user.c): the login's timing and its lockout
# under concurrent failures, on a real SQLite store.
mc_unit_test(test_app_user LIBS mc_app)
set_tests_properties(test_app_user PROPERTIES TIMEOUT 120)
