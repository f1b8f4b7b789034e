# The application layer (src/app): contacts and imports on a real SQLite
# store; the send service against the in-process sink.
mc_unit_test(test_app_contacts LIBS mc_app)
mc_unit_test(test_app_send LIBS mc_app)
set_tests_properties(test_app_send PROPERTIES TIMEOUT 60)
