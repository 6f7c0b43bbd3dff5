# man: hand-written manual pages (man(7) macros), installed under $(mandir)
# and shipped in the tarball. tests/test_man.sh checks that they render
# without warnings and that they name every config key, CLI command and option.
dist_man_MANS = man/orgbridged.8 man/orgbridgectl.8 man/orgbridge.conf.5
