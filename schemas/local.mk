# schemas: see Makefile.am for the conventions
# Numbered migrations, applied in order by src/store/migrate.c (docs/SCHEMA.md).
dist_pkgdata_schemas_DATA += schemas/001_core.sql schemas/002_guardrails.sql \
	schemas/003_audit.sql schemas/004_mail_outbox.sql schemas/005_ldap_sync.sql
dist_pkgdata_schemas_DATA += schemas/006_json_helpers.sql
dist_pkgdata_schemas_DATA += schemas/007_member_view.sql
dist_pkgdata_schemas_DATA += schemas/008_scim_users.sql
include $(srcdir)/schemas/scim/local.mk
dist_pkgdata_schemas_DATA += schemas/009_scim_groups.sql
dist_pkgdata_schemas_DATA += schemas/012_inline_ob_ts.sql
dist_pkgdata_schemas_DATA += schemas/011_shared_org_lock.sql
dist_pkgdata_schemas_DATA += schemas/013_bulk_member_inserts.sql
