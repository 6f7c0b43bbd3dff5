# src/mail: see Makefile.am for the conventions
