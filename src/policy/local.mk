# src/policy: see Makefile.am for the conventions
