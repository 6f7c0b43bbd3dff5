-- 005_ldap_sync: run history and per-directory state of the LDAP sync
-- (SPEC 9). Directories themselves live in the config file, so they are
-- referred to by name. Group mappings are group_role_mappings (001).

CREATE TABLE ldap_sync_runs (
	id             bigint      GENERATED ALWAYS AS IDENTITY,
	directory_name text        NOT NULL,
	kind           text        NOT NULL,
	status         text        NOT NULL DEFAULT 'running',
	dry_run        boolean     NOT NULL DEFAULT false,
	forced         boolean     NOT NULL DEFAULT false,
	-- users seen, added, updated, role changes, team changes, removed,
	-- skipped with reason...; per org where it matters.
	counts         jsonb       NOT NULL DEFAULT '{}',
	-- per-object errors: [{"dn": ..., "org": ..., "error": ...}]
	errors         jsonb       NOT NULL DEFAULT '[]',
	error          text,       -- why the run as a whole failed or stopped
	started_at     timestamptz NOT NULL DEFAULT now(),
	finished_at    timestamptz,
	CONSTRAINT ldap_sync_runs_pkey PRIMARY KEY (id),
	CONSTRAINT ldap_sync_runs_directory_name_check
		CHECK (length(directory_name) BETWEEN 1 AND 64
			AND directory_name !~ '[[:cntrl:][:space:]]'),
	CONSTRAINT ldap_sync_runs_kind_check CHECK (kind IN ('full', 'incremental')),
	CONSTRAINT ldap_sync_runs_status_check
		CHECK (status IN ('running', 'success', 'failed', 'threshold_exceeded')),
	CONSTRAINT ldap_sync_runs_counts_check CHECK (jsonb_typeof(counts) = 'object'),
	CONSTRAINT ldap_sync_runs_errors_check CHECK (jsonb_typeof(errors) = 'array'),
	CONSTRAINT ldap_sync_runs_finished_check CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX ldap_sync_runs_directory_idx ON ldap_sync_runs (directory_name, id DESC);

-- The watermark (highest modifyTimestamp applied, as the directory wrote it)
-- only advances after a successful apply.
CREATE TABLE ldap_sync_state (
	directory_name   text        NOT NULL,
	watermark        text,
	last_run_id      bigint,
	last_run_at      timestamptz,
	last_success_at  timestamptz,
	last_full_run_at timestamptz,
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT ldap_sync_state_pkey PRIMARY KEY (directory_name),
	CONSTRAINT ldap_sync_state_last_run_fkey FOREIGN KEY (last_run_id)
		REFERENCES ldap_sync_runs (id) ON DELETE SET NULL
);

CREATE TRIGGER ldap_sync_state_touch BEFORE UPDATE ON ldap_sync_state
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch();
