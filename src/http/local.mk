# src/http: see Makefile.am for the conventions
