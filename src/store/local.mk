# src/store: see Makefile.am for the conventions
