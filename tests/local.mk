# tests: see Makefile.am for the conventions
