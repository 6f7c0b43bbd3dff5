# The SCIM schema and ResourceType definitions (RFC 7643 section 8.7), compiled
# into liborgbridge as byte arrays (src/scim/schema_data.h): the daemon needs no
# runtime path for them. The generated C lives in the build directory.
SCIM_SCHEMA_FILES = $(srcdir)/schemas/scim/common.json $(srcdir)/schemas/scim/user.json \
	$(srcdir)/schemas/scim/enterprise_user.json $(srcdir)/schemas/scim/group.json \
	$(srcdir)/schemas/scim/resource_type_user.json $(srcdir)/schemas/scim/resource_type_group.json
EXTRA_DIST += $(SCIM_SCHEMA_FILES) scripts/embed-files
nodist_src_liborgbridge_a_SOURCES = src/scim/schema_data.c
CLEANFILES += src/scim/schema_data.c

src/scim/schema_data.c: $(SCIM_SCHEMA_FILES) $(srcdir)/scripts/embed-files
	$(AM_V_GEN)$(MKDIR_P) src/scim && \
	$(SHELL) $(srcdir)/scripts/embed-files scim/schema_data.h scim_schema_files \
		$(SCIM_SCHEMA_FILES) > $@.tmp && mv $@.tmp $@
