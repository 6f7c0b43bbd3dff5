-- 003_audit: one event per change, append-only (SPEC 1, issue 3 item 6).

-- No foreign keys: the history of a deleted organization or account stays.
CREATE TABLE audit_events (
	id               bigint      GENERATED ALWAYS AS IDENTITY,
	org_id           uuid,           -- NULL for events outside an org (sign-up)
	occurred_at      timestamptz NOT NULL DEFAULT now(),
	actor_account_id uuid,           -- NULL for IdP and CLI actors
	actor_label      text        NOT NULL DEFAULT '', -- e.g. an email, "scim:okta"
	source           text        NOT NULL,
	action           text        NOT NULL,            -- e.g. "member.role_changed"
	target_type      text        NOT NULL,            -- e.g. "member"
	target_id        text,
	before           jsonb,
	after            jsonb,
	request_id       text,
	CONSTRAINT audit_events_pkey PRIMARY KEY (id),
	CONSTRAINT audit_events_source_check CHECK (source ~ '^(api|cli|scim:.+|ldap:.+)$'),
	CONSTRAINT audit_events_action_check
		CHECK (length(action) BETWEEN 1 AND 100 AND action !~ '[[:space:][:cntrl:]]'),
	CONSTRAINT audit_events_target_type_check
		CHECK (length(target_type) BETWEEN 1 AND 100 AND target_type !~ '[[:space:][:cntrl:]]')
);
-- The org's audit page, newest first.
CREATE INDEX audit_events_org_idx ON audit_events (org_id, id DESC);

CREATE FUNCTION ob_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
		USING ERRCODE = 'OB009', CONSTRAINT = TG_NAME,
		      TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

-- A guard against every code path, not against the database owner, who can
-- disable triggers; run the daemon as a role that does not own the tables
-- where that matters.
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION ob_refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION ob_refuse_audit_change();
