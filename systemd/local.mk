# systemd: see Makefile.am for the conventions
