# SCIM 2.0 service provider (RFC 7643/7644).
src_liborgbridge_a_SOURCES += src/scim/error.c src/scim/error.h
src_liborgbridge_a_SOURCES += src/scim/discovery.c
src_liborgbridge_a_SOURCES += src/scim/users.c
src_liborgbridge_a_SOURCES += src/scim/groups.c
src_liborgbridge_a_SOURCES += src/scim/call.c src/scim/call.h
src_liborgbridge_a_SOURCES += src/scim/result.c src/scim/result.h src/scim/ops.h
src_liborgbridge_a_SOURCES += src/scim/user_store.c src/scim/user_store.h
src_liborgbridge_a_SOURCES += src/scim/user_render.c src/scim/user_render.h
src_liborgbridge_a_SOURCES += src/scim/filter.c src/scim/filter_match.c src/scim/filter.h
src_liborgbridge_a_SOURCES += src/scim/fold.c src/scim/fold.h
src_liborgbridge_a_SOURCES += src/scim/path.c src/scim/path.h
src_liborgbridge_a_SOURCES += src/scim/query.c src/scim/query.h
src_liborgbridge_a_SOURCES += src/scim/schema.c src/scim/schema.h src/scim/schema_data.h \
	src/scim/schema_impl.h src/scim/schema_validate.c src/scim/schema_project.c
src_liborgbridge_a_SOURCES += src/scim/patch.c src/scim/patch.h
src_liborgbridge_a_SOURCES += src/scim/listing.c src/scim/listing.h
src_liborgbridge_a_SOURCES += src/scim/group_input.c src/scim/group_input.h
src_liborgbridge_a_SOURCES += src/scim/group_store.c src/scim/group_store.h
src_liborgbridge_a_SOURCES += src/scim/bulk.c
src_liborgbridge_a_SOURCES += src/scim/json_util.c src/scim/json_util.h
src_liborgbridge_a_SOURCES += src/scim/search.c
src_liborgbridge_a_SOURCES += src/scim/token_cache.c src/scim/token_cache.h
src_liborgbridge_a_SOURCES += src/scim/store_common.c src/scim/store_common.h
