EXTRA_DIST += scripts/install-deps scripts/demo scripts/test scripts/demo-data/directory.ldif scripts/gen-ldif
