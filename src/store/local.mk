# src/store: see Makefile.am for the conventions
src_liborgbridge_a_SOURCES += src/store/db.c src/store/db.h \
	src/store/migrate.c src/store/migrate.h \
	src/store/batch.c src/store/batch.h
