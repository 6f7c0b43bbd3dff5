# LDAP sync: planning (pure), applying, scheduling.
src_liborgbridge_a_SOURCES += src/sync/snapshot.c src/sync/snapshot.h
src_liborgbridge_a_SOURCES += src/sync/strmap.c src/sync/strmap.h src/sync/plan.c src/sync/plan.h
