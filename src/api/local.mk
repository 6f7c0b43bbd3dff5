# src/api: see Makefile.am for the conventions
