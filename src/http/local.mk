src_liborgbridge_a_SOURCES += \
	src/http/router.c src/http/router.h \
	src/http/server.c src/http/server.h
