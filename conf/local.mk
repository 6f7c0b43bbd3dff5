# conf: see Makefile.am for the conventions
