# dns layer (resolver interface, fake, MX order) and diag layer (SPF,
# address classes, record tags, the doctor's rules).
mc_unit_test(test_dns LIBS mc_dns)
mc_unit_test(test_diag LIBS mc_diag)
