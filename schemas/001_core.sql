-- 001_core: the org model -- accounts, organizations, members, teams,
-- invitations, ownership transfers, credentials, and the SCIM connection
-- table members and teams point at. Plain DDL: the migration runner wraps
-- this file in one transaction and records it in schema_migrations.
--
-- Conventions (docs/SCHEMA.md has the full list):
--  * ids are uuid (gen_random_uuid): they appear in URLs and SCIM resources,
--    and must not let one tenant count or guess another's rows.
--  * every CHECK, unique index and foreign key is named, so libpq's
--    PG_DIAG_CONSTRAINT_NAME tells the application which rule was hit.
--  * case-insensitive uniqueness is a unique index on lower(col); queries
--    must compare lower(col) = lower($1) to use it.
--  * secrets are stored only as SHA-256 digests (bytea, 32 bytes).
--  * times are timestamptz; expiry is always compared with a "now" passed
--    by the application (tests move a fake clock), never with now() here.
--  * child tables carry org_id and reference (org_id, id) of their parent,
--    so a row can never point into another organization. members and teams
--    are keyed by (org_id, id) only: every lookup names the org (tenant
--    isolation), and bulk IdP loads maintain one uuid index fewer.

-- updated_at follows every real change unless the statement set it itself
-- (the application may pass its own clock).
CREATE FUNCTION ob_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END;
$$;

-- Same, plus the row version used as ETag: always OLD.version + 1, whatever
-- the statement wrote, so no code path can reuse a version.
CREATE FUNCTION ob_touch_versioned() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.version := OLD.version + 1;
	IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------- accounts

CREATE TABLE accounts (
	id            uuid        NOT NULL DEFAULT gen_random_uuid(),
	email         text        NOT NULL,
	-- argon2id string from libsodium (crypto_pwhash_str); NULL for people
	-- who only sign in through an identity provider.
	password_hash text,
	display_name  text        NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT accounts_pkey PRIMARY KEY (id),
	CONSTRAINT accounts_email_check
		CHECK (length(email) <= 254 AND email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'),
	CONSTRAINT accounts_password_hash_check
		CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
	CONSTRAINT accounts_display_name_check
		CHECK (length(display_name) <= 256 AND display_name !~ '[[:cntrl:]]')
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch();

-- ----------------------------------------------------------- organizations

CREATE TABLE organizations (
	id         uuid        NOT NULL DEFAULT gen_random_uuid(),
	-- NULL while the org is unnamed (personal mode); invitations need a name
	-- (enforced in 002_guardrails).
	name       text,
	slug       text        NOT NULL,
	settings   jsonb       NOT NULL DEFAULT '{}',
	version    integer     NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT organizations_pkey PRIMARY KEY (id),
	CONSTRAINT organizations_name_check
		CHECK (name IS NULL OR (length(name) BETWEEN 1 AND 200 AND name = btrim(name)
			AND name !~ '[[:cntrl:]]')),
	-- A DNS-label-like slug: lowercase letters, digits and inner hyphens.
	CONSTRAINT organizations_slug_check
		CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	CONSTRAINT organizations_settings_check CHECK (jsonb_typeof(settings) = 'object')
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- Only real edits bump the version: the guardrail's no-op write of the org
-- row (002) must not change the org's ETag.
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch_versioned();

-- -------------------------------------------------------- SCIM connections
-- Revoked, never deleted while members or teams still point at them
-- (removed members keep their history, and removed rows are final).

CREATE TABLE scim_connections (
	id         uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id     uuid        NOT NULL,
	name       text        NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz,
	CONSTRAINT scim_connections_pkey PRIMARY KEY (id),
	CONSTRAINT scim_connections_org_id_id_key UNIQUE (org_id, id),
	CONSTRAINT scim_connections_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT scim_connections_name_check
		CHECK (length(name) BETWEEN 1 AND 100 AND name !~ '[[:cntrl:]]')
);
CREATE UNIQUE INDEX scim_connections_name_key ON scim_connections (org_id, lower(name));

-- Rotation inserts a new token and sets expires_at on the old one, so both
-- work during the overlap.
CREATE TABLE scim_tokens (
	id            uuid        NOT NULL DEFAULT gen_random_uuid(),
	connection_id uuid        NOT NULL,
	token_hash    bytea       NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz,
	revoked_at    timestamptz,
	CONSTRAINT scim_tokens_pkey PRIMARY KEY (id),
	CONSTRAINT scim_tokens_connection_fkey FOREIGN KEY (connection_id)
		REFERENCES scim_connections (id) ON DELETE CASCADE,
	CONSTRAINT scim_tokens_token_hash_key UNIQUE (token_hash),
	CONSTRAINT scim_tokens_token_hash_check CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX scim_tokens_connection_idx ON scim_tokens (connection_id);

-- ----------------------------------------------------------------- members

CREATE TABLE members (
	id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id             uuid        NOT NULL,
	account_id         uuid        NOT NULL,
	username           text        NOT NULL,
	role               text        NOT NULL,
	status             text        NOT NULL DEFAULT 'active',
	-- managed_by: 'local', or the SCIM connection / LDAP directory (a config
	-- section name, so text) that owns the row.
	source_kind        text        NOT NULL DEFAULT 'local',
	scim_connection_id uuid,
	directory_name     text,
	-- SCIM externalId, or for LDAP rows the directory's stable id (entryUUID,
	-- objectGUID); unique per managing connection/directory among live rows.
	external_id        text,
	ldap_dn            text,
	-- SCIM attributes (name, emails, phoneNumbers, enterprise extension...).
	profile            jsonb       NOT NULL DEFAULT '{}',
	version            integer     NOT NULL DEFAULT 1,
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	removed_at         timestamptz,
	CONSTRAINT members_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT members_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT members_account_fkey FOREIGN KEY (account_id)
		REFERENCES accounts (id),
	CONSTRAINT members_scim_connection_fkey FOREIGN KEY (org_id, scim_connection_id)
		REFERENCES scim_connections (org_id, id),
	CONSTRAINT members_username_check
		CHECK (length(username) BETWEEN 1 AND 256 AND username !~ '[[:cntrl:]]'),
	CONSTRAINT members_role_check CHECK (role IN ('OWNER', 'ADMIN', 'USER', 'VIEWER')),
	CONSTRAINT members_status_check CHECK (status IN ('active', 'suspended', 'removed')),
	CONSTRAINT members_source_kind_check CHECK (source_kind IN ('local', 'scim', 'ldap')),
	CONSTRAINT members_managed_by_check CHECK (
		(source_kind = 'local' AND scim_connection_id IS NULL AND directory_name IS NULL)
		OR (source_kind = 'scim' AND scim_connection_id IS NOT NULL AND directory_name IS NULL)
		OR (source_kind = 'ldap' AND scim_connection_id IS NULL AND directory_name IS NOT NULL)),
	CONSTRAINT members_directory_name_check
		CHECK (directory_name IS NULL OR (length(directory_name) BETWEEN 1 AND 64
			AND directory_name !~ '[[:cntrl:][:space:]]')),
	CONSTRAINT members_ldap_dn_check CHECK (ldap_dn IS NULL OR source_kind = 'ldap'),
	CONSTRAINT members_external_id_check
		CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 1024),
	CONSTRAINT members_profile_check CHECK (jsonb_typeof(profile) = 'object'),
	CONSTRAINT members_removed_at_check CHECK ((status = 'removed') = (removed_at IS NOT NULL))
);
-- Usernames are unique per org among live members; removed rows are history.
-- Also the (org, lower(username)) lookup: add "AND status <> 'removed'".
CREATE UNIQUE INDEX members_username_key ON members (org_id, lower(username))
	WHERE status <> 'removed';
-- One live membership per (org, account); also the by-account lookup.
CREATE UNIQUE INDEX members_account_org_key ON members (account_id, org_id)
	WHERE status <> 'removed';
-- Never two active owners, checked at once. A transfer therefore demotes the
-- old owner before promoting the new one (docs/SCHEMA.md).
CREATE UNIQUE INDEX members_one_active_owner_key ON members (org_id)
	WHERE role = 'OWNER' AND status = 'active';
-- What the guardrail check (002) counts.
CREATE INDEX members_admin_like_idx ON members (org_id, role)
	WHERE status = 'active' AND role IN ('OWNER', 'ADMIN');
CREATE UNIQUE INDEX members_external_id_key
	ON members (org_id, source_kind, coalesce(scim_connection_id::text, directory_name, ''), external_id)
	WHERE external_id IS NOT NULL AND status <> 'removed';
CREATE INDEX members_org_external_id_idx ON members (org_id, external_id)
	WHERE external_id IS NOT NULL;

CREATE TRIGGER members_touch BEFORE UPDATE ON members
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch_versioned();

-- Removal stamps removed_at unless the statement passed its own clock.
CREATE FUNCTION ob_stamp_removed_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.removed_at := now();
	RETURN NEW;
END;
$$;

CREATE TRIGGER members_stamp_removed_at BEFORE UPDATE OF status ON members
	FOR EACH ROW WHEN (NEW.status = 'removed' AND NEW.removed_at IS NULL)
	EXECUTE FUNCTION ob_stamp_removed_at();

-- ------------------------------------------------------------------- teams

CREATE TABLE teams (
	id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id             uuid        NOT NULL,
	name               text        NOT NULL,
	description        text        NOT NULL DEFAULT '',
	-- The role the team grants its members; never OWNER (ownership is only
	-- transferred).
	role               text,
	source_kind        text        NOT NULL DEFAULT 'local',
	scim_connection_id uuid,
	directory_name     text,
	external_id        text,
	version            integer     NOT NULL DEFAULT 1,
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT teams_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT teams_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT teams_scim_connection_fkey FOREIGN KEY (org_id, scim_connection_id)
		REFERENCES scim_connections (org_id, id),
	CONSTRAINT teams_name_check
		CHECK (length(name) BETWEEN 1 AND 256 AND name !~ '[[:cntrl:]]'),
	CONSTRAINT teams_description_check CHECK (length(description) <= 4096),
	CONSTRAINT teams_role_check CHECK (role IS NULL OR role IN ('ADMIN', 'USER', 'VIEWER')),
	CONSTRAINT teams_source_kind_check CHECK (source_kind IN ('local', 'scim', 'ldap')),
	CONSTRAINT teams_managed_by_check CHECK (
		(source_kind = 'local' AND scim_connection_id IS NULL AND directory_name IS NULL)
		OR (source_kind = 'scim' AND scim_connection_id IS NOT NULL AND directory_name IS NULL)
		OR (source_kind = 'ldap' AND scim_connection_id IS NULL AND directory_name IS NOT NULL)),
	CONSTRAINT teams_directory_name_check
		CHECK (directory_name IS NULL OR (length(directory_name) BETWEEN 1 AND 64
			AND directory_name !~ '[[:cntrl:][:space:]]')),
	CONSTRAINT teams_external_id_check
		CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 1024)
);
CREATE UNIQUE INDEX teams_name_key ON teams (org_id, lower(name));
CREATE UNIQUE INDEX teams_external_id_key
	ON teams (org_id, source_kind, coalesce(scim_connection_id::text, directory_name, ''), external_id)
	WHERE external_id IS NOT NULL;
CREATE INDEX teams_org_external_id_idx ON teams (org_id, external_id)
	WHERE external_id IS NOT NULL;

CREATE TRIGGER teams_touch BEFORE UPDATE ON teams
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch_versioned();

-- org_id is redundant with the team's and the member's, and is there so the
-- two composite keys make a cross-org team membership impossible.
CREATE TABLE team_members (
	team_id    uuid        NOT NULL,
	member_id  uuid        NOT NULL,
	org_id     uuid        NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT team_members_pkey PRIMARY KEY (team_id, member_id),
	CONSTRAINT team_members_team_fkey FOREIGN KEY (org_id, team_id)
		REFERENCES teams (org_id, id) ON DELETE CASCADE,
	CONSTRAINT team_members_member_fkey FOREIGN KEY (org_id, member_id)
		REFERENCES members (org_id, id) ON DELETE CASCADE
);
CREATE INDEX team_members_member_idx ON team_members (org_id, member_id);
CREATE INDEX team_members_team_idx ON team_members (org_id, team_id);

-- SCIM groups and LDAP group DNs granting a role and/or a team. One mapping
-- per group and org; DNs compare case-insensitively.
CREATE TABLE group_role_mappings (
	id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id             uuid        NOT NULL,
	source_kind        text        NOT NULL,
	scim_connection_id uuid,
	directory_name     text,
	group_key          text        NOT NULL,
	role               text,
	team_id            uuid,
	created_at         timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT group_role_mappings_pkey PRIMARY KEY (id),
	CONSTRAINT group_role_mappings_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT group_role_mappings_scim_connection_fkey FOREIGN KEY (org_id, scim_connection_id)
		REFERENCES scim_connections (org_id, id) ON DELETE CASCADE,
	-- A mapping that fed a deleted team has nothing left to do.
	CONSTRAINT group_role_mappings_team_fkey FOREIGN KEY (org_id, team_id)
		REFERENCES teams (org_id, id) ON DELETE CASCADE,
	CONSTRAINT group_role_mappings_source_check CHECK (
		(source_kind = 'scim' AND scim_connection_id IS NOT NULL AND directory_name IS NULL)
		OR (source_kind = 'ldap' AND scim_connection_id IS NULL AND directory_name IS NOT NULL)),
	CONSTRAINT group_role_mappings_group_key_check
		CHECK (length(group_key) BETWEEN 1 AND 2048),
	CONSTRAINT group_role_mappings_role_check
		CHECK (role IS NULL OR role IN ('ADMIN', 'USER', 'VIEWER')),
	CONSTRAINT group_role_mappings_target_check CHECK (role IS NOT NULL OR team_id IS NOT NULL)
);
CREATE UNIQUE INDEX group_role_mappings_group_key
	ON group_role_mappings (org_id, source_kind, coalesce(scim_connection_id::text, directory_name),
		(CASE WHEN source_kind = 'ldap' THEN lower(group_key) ELSE group_key END));
-- A sync run loads every mapping of its directory.
CREATE INDEX group_role_mappings_directory_idx ON group_role_mappings (directory_name)
	WHERE directory_name IS NOT NULL;

-- ------------------------------------------------------------- invitations

CREATE TABLE invitations (
	id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id             uuid        NOT NULL,
	email              text        NOT NULL,
	username           text        NOT NULL,
	role               text        NOT NULL,
	status             text        NOT NULL DEFAULT 'pending',
	-- SHA-256 of the secret in the link; the secret itself is never stored.
	-- Resend overwrites it, which kills the old link at once.
	token_hash         bytea       NOT NULL,
	expires_at         timestamptz NOT NULL,
	-- NULL when created by orgbridgectl rather than by a member.
	inviter_member_id  uuid,
	accepted_member_id uuid,
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	accepted_at        timestamptz,
	revoked_at         timestamptz,
	CONSTRAINT invitations_pkey PRIMARY KEY (id),
	CONSTRAINT invitations_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT invitations_inviter_fkey FOREIGN KEY (org_id, inviter_member_id)
		REFERENCES members (org_id, id),
	CONSTRAINT invitations_accepted_member_fkey FOREIGN KEY (org_id, accepted_member_id)
		REFERENCES members (org_id, id),
	CONSTRAINT invitations_email_check
		CHECK (length(email) <= 254 AND email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'),
	CONSTRAINT invitations_username_check
		CHECK (length(username) BETWEEN 1 AND 256 AND username !~ '[[:cntrl:]]'),
	-- OWNER is never an invitation role: ownership is only transferred.
	CONSTRAINT invitations_role_check CHECK (role IN ('ADMIN', 'USER', 'VIEWER')),
	CONSTRAINT invitations_status_check
		CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
	CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
	CONSTRAINT invitations_token_hash_check CHECK (octet_length(token_hash) = 32),
	CONSTRAINT invitations_accepted_check
		CHECK ((status = 'accepted') = (accepted_member_id IS NOT NULL AND accepted_at IS NOT NULL))
);
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (org_id, lower(email))
	WHERE status = 'pending';
CREATE UNIQUE INDEX invitations_pending_username_key ON invitations (org_id, lower(username))
	WHERE status = 'pending';
CREATE INDEX invitations_org_created_idx ON invitations (org_id, created_at DESC);

CREATE TRIGGER invitations_touch BEFORE UPDATE ON invitations
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch();

-- ----------------------------------------------------- ownership transfers

CREATE TABLE ownership_transfers (
	id             uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id         uuid        NOT NULL,
	from_member_id uuid        NOT NULL,
	to_member_id   uuid        NOT NULL,
	status         text        NOT NULL DEFAULT 'pending',
	token_hash     bytea       NOT NULL,
	expires_at     timestamptz NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now(),
	confirmed_at   timestamptz,
	cancelled_at   timestamptz,
	CONSTRAINT ownership_transfers_pkey PRIMARY KEY (id),
	CONSTRAINT ownership_transfers_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT ownership_transfers_from_fkey FOREIGN KEY (org_id, from_member_id)
		REFERENCES members (org_id, id),
	CONSTRAINT ownership_transfers_to_fkey FOREIGN KEY (org_id, to_member_id)
		REFERENCES members (org_id, id),
	CONSTRAINT ownership_transfers_not_self_check CHECK (from_member_id <> to_member_id),
	CONSTRAINT ownership_transfers_status_check
		CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
	CONSTRAINT ownership_transfers_token_hash_key UNIQUE (token_hash),
	CONSTRAINT ownership_transfers_token_hash_check CHECK (octet_length(token_hash) = 32),
	CONSTRAINT ownership_transfers_confirmed_check
		CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL))
);
-- A new request replaces (cancels) the older pending one first.
CREATE UNIQUE INDEX ownership_transfers_one_pending_key ON ownership_transfers (org_id)
	WHERE status = 'pending';

CREATE TRIGGER ownership_transfers_touch BEFORE UPDATE ON ownership_transfers
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ob_touch();

-- ------------------------------------------------------ sessions and tokens

CREATE TABLE sessions (
	id           uuid        NOT NULL DEFAULT gen_random_uuid(),
	account_id   uuid        NOT NULL,
	token_hash   bytea       NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL,
	revoked_at   timestamptz,
	last_seen_at timestamptz,
	CONSTRAINT sessions_pkey PRIMARY KEY (id),
	CONSTRAINT sessions_account_fkey FOREIGN KEY (account_id)
		REFERENCES accounts (id) ON DELETE CASCADE,
	CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
	CONSTRAINT sessions_token_hash_check CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

-- Org-scoped automation tokens. created_by_member_id is NULL for tokens made
-- with orgbridgectl.
CREATE TABLE api_tokens (
	id                   uuid        NOT NULL DEFAULT gen_random_uuid(),
	org_id               uuid        NOT NULL,
	name                 text        NOT NULL,
	token_hash           bytea       NOT NULL,
	role                 text        NOT NULL,
	created_by_member_id uuid,
	created_at           timestamptz NOT NULL DEFAULT now(),
	expires_at           timestamptz,
	revoked_at           timestamptz,
	last_used_at         timestamptz,
	CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
	CONSTRAINT api_tokens_org_fkey FOREIGN KEY (org_id)
		REFERENCES organizations (id) ON DELETE CASCADE,
	CONSTRAINT api_tokens_created_by_fkey FOREIGN KEY (org_id, created_by_member_id)
		REFERENCES members (org_id, id),
	CONSTRAINT api_tokens_name_check
		CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[[:cntrl:]]'),
	CONSTRAINT api_tokens_role_check CHECK (role IN ('ADMIN', 'USER', 'VIEWER')),
	CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash),
	CONSTRAINT api_tokens_token_hash_check CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX api_tokens_org_idx ON api_tokens (org_id);
