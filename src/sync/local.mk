# LDAP sync: planning (pure), applying, scheduling.
src_liborgbridge_a_SOURCES += src/sync/snapshot.c src/sync/snapshot.h
