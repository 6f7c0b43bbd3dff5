-- 011_shared_org_lock: SCIM User writes hold the organization row FOR SHARE
-- (docs/DECISIONS.md, "Org locking"), so many of them run at once. The
-- commit-time username check of a new or renamed member (002) locked the org
-- row with ob_lock_org, a no-op UPDATE: from inside such a transaction that
-- is a lock upgrade, and two of them waiting for each other's share lock
-- deadlock. The check only has to exclude a concurrent *invitation* writer,
-- and those take the row exclusively (FOR UPDATE, or ob_lock_org at their
-- own commit), so a share lock is enough: it waits for such a writer, and
-- the next statement (READ COMMITTED) sees its invitation; an invitation
-- writer in turn waits for the member's transaction and then sees the member.
-- Under REPEATABLE READ, FOR SHARE of a row an invitation writer updated
-- after the snapshot fails with 40001 instead of a silent skew, as before.
-- Plain DDL, applied in one transaction.

-- Share-lock the org row; false when it no longer exists.
CREATE FUNCTION ob_share_org(p_org uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM organizations WHERE id = p_org FOR SHARE;
	RETURN FOUND;
END;
$$;

CREATE OR REPLACE FUNCTION ob_check_member_username() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT ob_share_org(NEW.org_id) THEN
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
