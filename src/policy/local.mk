# src/policy: pure guardrail decisions (no I/O), see policy.h
src_liborgbridge_a_SOURCES += \
	src/policy/roles.c src/policy/roles.h \
	src/policy/policy.h \
	src/policy/verdict.c \
	src/policy/members.c \
	src/policy/invitations.c \
	src/policy/ownership.c \
	src/policy/deletion.c \
	src/policy/identifiers.c src/policy/identifiers.h
