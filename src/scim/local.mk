# SCIM 2.0 service provider (RFC 7643/7644).
src_liborgbridge_a_SOURCES += src/scim/error.c src/scim/error.h
src_liborgbridge_a_SOURCES += src/scim/discovery.c
src_liborgbridge_a_SOURCES += src/scim/users.c
src_liborgbridge_a_SOURCES += src/scim/groups.c
