# docs: see Makefile.am for the conventions
