bin_PROGRAMS += src/orgbridgectl
src_orgbridgectl_SOURCES = src/cli/main.c src/cli/cli.h src/cli/status.c
src_orgbridgectl_SOURCES += src/cli/org.c
src_orgbridgectl_SOURCES += src/cli/scim.c
src_orgbridgectl_SOURCES += src/cli/sync.c
src_orgbridgectl_SOURCES += src/cli/util.c src/cli/util.h
