src_liborgbridge_a_SOURCES += \
	src/api/api.h src/api/routes.c \
	src/api/common.c src/api/common.h \
	src/api/health.c \
	src/api/accounts.c \
	src/api/tokens.c \
	src/api/orgs.c \
	src/api/members.c \
	src/api/teams.c \
	src/api/invitations.c \
	src/api/transfer.c
src_liborgbridge_a_SOURCES += src/api/metrics.c src/api/scim_connections.c src/api/directories.c
