src_liborgbridge_a_SOURCES += \
	src/clock.c src/clock.h \
	src/core/core.c src/core/core.h \
	src/core/token.c src/core/token.h
