src_liborgbridge_a_SOURCES += \
	src/clock.c src/clock.h \
	src/core/core.c src/core/core.h \
	src/core/token.c src/core/token.h
src_liborgbridge_a_SOURCES += src/core/accounts.c src/core/accounts.h
src_liborgbridge_a_SOURCES += src/core/api_tokens.c src/core/api_tokens.h
src_liborgbridge_a_SOURCES += \
	src/core/invitations.c src/core/invitations.h \
	src/core/transfer.c src/core/transfer.h
src_liborgbridge_a_SOURCES += \
	src/core/orgs.c src/core/orgs.h \
	src/core/members.c src/core/members.h \
	src/core/teams.c src/core/teams.h
src_liborgbridge_a_SOURCES += src/core/scim_connections.c src/core/scim_connections.h
src_liborgbridge_a_SOURCES += src/core/scim_group_roles.c src/core/scim_group_roles.h
src_liborgbridge_a_SOURCES += src/core/directories.c src/core/directories.h
