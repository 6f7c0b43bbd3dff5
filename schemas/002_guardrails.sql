-- 002_guardrails: the database backstop of the owner/admin guardrails and of
-- the other rules no code path (API, CLI, SCIM, LDAP sync) may break.
-- The application checks every rule first (src/policy, under the org lock)
-- and answers with the precise SPEC error; these triggers only make a bug in
-- some path fail instead of committing a broken organization.
--
-- Error codes (SQLSTATE class 'OB'; the org/member id is in the message and
-- in DETAIL, the trigger name in PG_DIAG_CONSTRAINT_NAME):
--   OB001  an organization must have exactly one active owner   (at COMMIT)
--   OB002  an organization must keep an active admin-like member (at COMMIT)
--   OB003  a removed member cannot be modified
--   OB004  an organization needs a name before anyone is invited
--   OB005  id, org_id, account_id of a member / team never change
--   OB006  members are never deleted: set status 'removed' (org deletion
--          still takes its members with it)
--   OB007  an accepted or revoked invitation is final
--   OB008  a confirmed, cancelled or expired ownership transfer is final
--   OB009  audit_events is append-only (003_audit)
-- A username taken by a pending invitation (or the reverse), or an invited
-- email that belongs to a member, is a unique violation (23505) at COMMIT,
-- with constraint name members_username_invited, invitations_username_taken
-- or invitations_email_taken.

-- Serializes the commit-time checks of one organization and makes them see
-- every concurrently committed change. Returns false when the org no longer
-- exists (deleted in this transaction, or by one that committed first).
--
-- It writes the row (a no-op update, which the WHEN of organizations_touch
-- ignores) rather than SELECT ... FOR UPDATE: under READ COMMITTED both wait
-- for the other transaction and the next statement's snapshot sees its
-- commit, but under REPEATABLE READ a snapshot never sees a concurrent commit
-- and only a conflicting *write* turns that into a serialization failure
-- (40001) instead of a silent write skew. Once per transaction: age(xmin) = 0
-- means this transaction already wrote the row and holds its lock.
--
-- The SET names a non-key column on purpose: the lock strength is chosen
-- from the SET list, and naming id (or slug) would ask for FOR UPDATE, which
-- waits for (and deadlocks with) the FOR KEY SHARE locks that every foreign
-- key check on a member, invitation... of this org holds. FOR NO KEY UPDATE
-- does not conflict with those.
CREATE FUNCTION ob_lock_org(p_org uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM organizations WHERE id = p_org AND age(xmin) = 0;
	IF FOUND THEN
		RETURN true;
	END IF;
	UPDATE organizations SET version = version WHERE id = p_org;
	RETURN FOUND;
END;
$$;

-- ------------------------------------------------ owner/admin guardrails

CREATE FUNCTION ob_check_org_guardrails() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_org        uuid;
	v_owners     bigint;
	v_admin_like bigint;
BEGIN
	IF TG_TABLE_NAME = 'organizations' THEN
		v_org := NEW.id;
	ELSE
		v_org := OLD.org_id; -- members fire on UPDATE/DELETE; org_id never changes
	END IF;
	IF NOT ob_lock_org(v_org) THEN
		RETURN NULL; -- the organization was deleted, its members with it
	END IF;
	SELECT count(*) FILTER (WHERE role = 'OWNER'), count(*)
	  INTO v_owners, v_admin_like
	  FROM members
	 WHERE org_id = v_org AND status = 'active' AND role IN ('OWNER', 'ADMIN');
	IF v_owners <> 1 THEN
		RAISE EXCEPTION 'organization % must have exactly one active owner (found %)',
			v_org, v_owners
			USING ERRCODE = 'OB001', DETAIL = 'org_id=' || v_org,
			      CONSTRAINT = TG_NAME, TABLE = 'members', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	-- Implied by the owner rule today (the owner is admin-like); kept so the
	-- SPEC rule holds on its own if the owner rule ever changes.
	IF v_admin_like < 1 THEN
		RAISE EXCEPTION 'organization % must keep at least one active admin-like member',
			v_org
			USING ERRCODE = 'OB002', DETAIL = 'org_id=' || v_org,
			      CONSTRAINT = TG_NAME, TABLE = 'members', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	RETURN NULL;
END;
$$;

-- A new organization must have its owner by COMMIT.
CREATE CONSTRAINT TRIGGER organizations_guardrails AFTER INSERT ON organizations
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION ob_check_org_guardrails();

-- Only changes that can lower a count are queued, which keeps bulk IdP work
-- free of per-row checks: an active OWNER/ADMIN row changing role or status,
-- or deleted. An INSERT (or a promotion) only raises counts, and a second
-- active owner is refused at once by members_one_active_owner_key.
CREATE CONSTRAINT TRIGGER members_guardrails_update AFTER UPDATE OF role, status ON members
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status = 'active' AND OLD.role IN ('OWNER', 'ADMIN')
	      AND (NEW.role IS DISTINCT FROM OLD.role OR NEW.status IS DISTINCT FROM OLD.status))
	EXECUTE FUNCTION ob_check_org_guardrails();

CREATE CONSTRAINT TRIGGER members_guardrails_delete AFTER DELETE ON members
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status = 'active' AND OLD.role IN ('OWNER', 'ADMIN'))
	EXECUTE FUNCTION ob_check_org_guardrails();

-- ------------------------------------------------------ members are history

CREATE FUNCTION ob_refuse_removed_member_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'member % of organization % is removed; removed members cannot be modified',
		OLD.id, OLD.org_id
		USING ERRCODE = 'OB003', DETAIL = 'org_id=' || OLD.org_id || ' member_id=' || OLD.id,
		      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

-- Removed is final: a re-invitation creates a new member row.
CREATE TRIGGER members_removed_is_final BEFORE UPDATE ON members
	FOR EACH ROW WHEN (OLD.status = 'removed')
	EXECUTE FUNCTION ob_refuse_removed_member_update();

CREATE FUNCTION ob_refuse_identity_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '%.id, org_id and account_id never change (row %)', TG_TABLE_NAME, OLD.id
		USING ERRCODE = 'OB005', DETAIL = 'org_id=' || OLD.org_id,
		      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

CREATE TRIGGER members_identity_is_final BEFORE UPDATE OF id, org_id, account_id ON members
	FOR EACH ROW
	WHEN (NEW.id <> OLD.id OR NEW.org_id <> OLD.org_id OR NEW.account_id <> OLD.account_id)
	EXECUTE FUNCTION ob_refuse_identity_change();

CREATE TRIGGER teams_identity_is_final BEFORE UPDATE OF id, org_id ON teams
	FOR EACH ROW WHEN (NEW.id <> OLD.id OR NEW.org_id <> OLD.org_id)
	EXECUTE FUNCTION ob_refuse_identity_change();

CREATE FUNCTION ob_refuse_member_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'member % of organization % cannot be deleted; set status ''removed''',
		OLD.id, OLD.org_id
		USING ERRCODE = 'OB006', DETAIL = 'org_id=' || OLD.org_id || ' member_id=' || OLD.id,
		      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

-- Removed members stay listed as history. Deleting the organization still
-- deletes them: its ON DELETE CASCADE runs inside the foreign key's trigger,
-- at trigger depth 1, whereas a DELETE statement on members runs at depth 0.
CREATE TRIGGER members_never_deleted BEFORE DELETE ON members
	FOR EACH ROW WHEN (pg_trigger_depth() = 0)
	EXECUTE FUNCTION ob_refuse_member_delete();

-- ------------------------------------------------------------- invitations

CREATE FUNCTION ob_require_org_name() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_org uuid;
BEGIN
	IF TG_TABLE_NAME = 'organizations' THEN
		RAISE EXCEPTION 'organization % cannot lose its name', OLD.id
			USING ERRCODE = 'OB004', DETAIL = 'org_id=' || OLD.id,
			      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	v_org := NEW.org_id;
	PERFORM 1 FROM organizations WHERE id = v_org AND name IS NOT NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'organization % must have a name before anyone can be invited', v_org
			USING ERRCODE = 'OB004', DETAIL = 'org_id=' || v_org,
			      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	RETURN NEW;
END;
$$;

CREATE TRIGGER invitations_need_org_name BEFORE INSERT OR UPDATE OF status, org_id ON invitations
	FOR EACH ROW WHEN (NEW.status = 'pending')
	EXECUTE FUNCTION ob_require_org_name();

CREATE TRIGGER organizations_name_stays BEFORE UPDATE OF name ON organizations
	FOR EACH ROW WHEN (OLD.name IS NOT NULL AND NEW.name IS NULL)
	EXECUTE FUNCTION ob_require_org_name();

CREATE FUNCTION ob_refuse_final_state_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% % is %, which is final', TG_TABLE_NAME, OLD.id, OLD.status
		USING ERRCODE = TG_ARGV[0], DETAIL = 'org_id=' || OLD.org_id,
		      CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

-- Accepted invitations cannot be revoked (SPEC 3.6); revoked ones stay
-- revoked. An expired one may be resent (back to pending).
CREATE TRIGGER invitations_final_states BEFORE UPDATE ON invitations
	FOR EACH ROW WHEN (OLD.status IN ('accepted', 'revoked'))
	EXECUTE FUNCTION ob_refuse_final_state_update('OB007');

CREATE TRIGGER ownership_transfers_final_states BEFORE UPDATE ON ownership_transfers
	FOR EACH ROW WHEN (OLD.status <> 'pending')
	EXECUTE FUNCTION ob_refuse_final_state_update('OB008');

-- -------------------------------- usernames: members and pending invitations
-- SPEC 1: a username is unique within the org, pending invitations included.
-- Member/member and invitation/invitation are unique indexes (001); this is
-- the cross-table half. Deferred, so accepting an invitation may insert the
-- member before or after marking the invitation accepted; the org lock makes
-- two concurrent transactions (one inviting, one provisioning) serialize.
-- A deferred event's NEW is the row as it was at the event, so a hit is
-- confirmed against the current row.

CREATE FUNCTION ob_check_member_username() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT ob_lock_org(NEW.org_id) THEN
		RETURN NULL;
	END IF;
	-- Fires for every provisioned member, so the common path is one probe of
	-- the (small) pending set with the name as it was at the event.
	PERFORM 1 FROM invitations
	 WHERE org_id = NEW.org_id AND lower(username) = lower(NEW.username) AND status = 'pending';
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	-- A hit counts only if the member still has that name and is not removed;
	-- a later rename queued its own check.
	PERFORM 1 FROM members
	 WHERE org_id = NEW.org_id AND id = NEW.id AND status <> 'removed'
	   AND lower(username) = lower(NEW.username);
	IF FOUND THEN
		RAISE EXCEPTION 'username "%" is taken by a pending invitation of organization %',
			NEW.username, NEW.org_id
			USING ERRCODE = 'unique_violation', DETAIL = 'org_id=' || NEW.org_id,
			      CONSTRAINT = 'members_username_invited', COLUMN = 'username',
			      TABLE = 'members', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER members_username_vs_invitations AFTER INSERT ON members
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.status <> 'removed')
	EXECUTE FUNCTION ob_check_member_username();

CREATE CONSTRAINT TRIGGER members_username_change_vs_invitations AFTER UPDATE OF username ON members
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (lower(NEW.username) <> lower(OLD.username))
	EXECUTE FUNCTION ob_check_member_username();

-- The invitee's email must not belong to a live member either (SPEC 3.2).
CREATE FUNCTION ob_check_invitation_vs_members() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_username text;
	v_email    text;
BEGIN
	IF NOT ob_lock_org(NEW.org_id) THEN
		RETURN NULL;
	END IF;
	SELECT username, email INTO v_username, v_email
	  FROM invitations WHERE id = NEW.id AND status = 'pending';
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM members
	 WHERE org_id = NEW.org_id AND lower(username) = lower(v_username) AND status <> 'removed';
	IF FOUND THEN
		RAISE EXCEPTION 'username "%" is taken by a member of organization %',
			v_username, NEW.org_id
			USING ERRCODE = 'unique_violation', DETAIL = 'org_id=' || NEW.org_id,
			      CONSTRAINT = 'invitations_username_taken', COLUMN = 'username',
			      TABLE = 'invitations', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	PERFORM 1 FROM members m JOIN accounts a ON a.id = m.account_id
	 WHERE m.org_id = NEW.org_id AND m.status <> 'removed' AND lower(a.email) = lower(v_email);
	IF FOUND THEN
		RAISE EXCEPTION 'email "%" belongs to a member of organization %', v_email, NEW.org_id
			USING ERRCODE = 'unique_violation', DETAIL = 'org_id=' || NEW.org_id,
			      CONSTRAINT = 'invitations_email_taken', COLUMN = 'email',
			      TABLE = 'invitations', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER invitations_vs_members AFTER INSERT OR UPDATE OF username, email, status
	ON invitations
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.status = 'pending')
	EXECUTE FUNCTION ob_check_invitation_vs_members();
