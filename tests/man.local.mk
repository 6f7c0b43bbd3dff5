# The manual pages (man/): rendering, coverage of the config key table and of
# the CLI, and where `make install` puts them (tests/test_man.sh).
TESTS += tests/test_man.sh
EXTRA_DIST += tests/test_man.sh
AM_TESTS_ENVIRONMENT += OB_MANDIR='$(mandir)'; export OB_MANDIR;
