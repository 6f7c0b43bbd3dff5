bin_PROGRAMS += src/orgbridgectl
src_orgbridgectl_SOURCES = src/cli/main.c src/cli/cli.h src/cli/status.c
