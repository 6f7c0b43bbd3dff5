# tests/fuzz: see Makefile.am for the conventions
