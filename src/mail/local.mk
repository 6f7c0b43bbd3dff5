# src/mail: see Makefile.am for the conventions
src_liborgbridge_a_SOURCES += \
	src/mail/outbox.c src/mail/outbox.h \
	src/mail/sender.c src/mail/sender.h \
	src/mail/smtp.c src/mail/smtp.h \
	src/mail/file_transport.c src/mail/file_transport.h
