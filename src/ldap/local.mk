# LDAP client: connections, paged and ranged searches, escaping.
src_liborgbridge_a_SOURCES += src/ldap/escape.c src/ldap/escape.h src/ldap/values.c \
	src/ldap/values.h
src_liborgbridge_a_SOURCES += src/ldap/client.c src/ldap/client.h src/ldap/tls.c src/ldap/tls.h
src_liborgbridge_a_SOURCES += src/ldap/reader.c src/ldap/reader.h
src_liborgbridge_a_SOURCES += src/ldap/auth.c src/ldap/auth.h
