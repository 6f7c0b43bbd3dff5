# src/core: see Makefile.am for the conventions
