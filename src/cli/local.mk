# src/cli: see Makefile.am for the conventions
