# schemas: see Makefile.am for the conventions
