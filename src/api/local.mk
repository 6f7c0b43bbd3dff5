src_liborgbridge_a_SOURCES += \
	src/api/api.h \
	src/api/routes.c \
	src/api/health.c
