src_liborgbridge_a_SOURCES += src/log.c src/log.h src/strbuf.c src/strbuf.h src/worker.c src/worker.h src/config.c src/config.h \
	src/daemon.c src/daemon.h src/app.c src/app.h
sbin_PROGRAMS += src/orgbridged
src_orgbridged_SOURCES = src/main.c
src_liborgbridge_a_SOURCES += src/metrics.c src/metrics.h
