src_liborgbridge_a_SOURCES += src/log.c src/log.h src/config.h
sbin_PROGRAMS += src/orgbridged
src_orgbridged_SOURCES = src/main.c
