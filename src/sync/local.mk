# LDAP sync: planning (pure), applying, scheduling.
src_liborgbridge_a_SOURCES += src/sync/snapshot.c src/sync/snapshot.h
src_liborgbridge_a_SOURCES += src/sync/strmap.c src/sync/strmap.h src/sync/plan.c src/sync/plan.h
src_liborgbridge_a_SOURCES += src/sync/load.c src/sync/load.h src/sync/apply.c src/sync/apply.h \
	src/sync/report.c src/sync/report.h src/sync/history.c src/sync/history.h \
	src/sync/run.c src/sync/run.h
src_liborgbridge_a_SOURCES += src/sync/in_chain.c src/sync/in_chain.h
src_liborgbridge_a_SOURCES += src/sync/scheduler.c src/sync/scheduler.h
