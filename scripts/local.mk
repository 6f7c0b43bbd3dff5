# scripts: see Makefile.am for the conventions
