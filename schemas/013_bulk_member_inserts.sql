-- 013_bulk_member_inserts: what a first LDAP sync (or a SCIM load) of
-- 100,000 members pays per row, made set-based where the guarantee allows
-- (docs/DECISIONS.md, "LDAP sync: the first full sync"). Plain DDL, applied
-- in one transaction.

-- ------------------------------------------- one external-id index, not two
-- members_external_id_key (uniqueness per managing connection/directory
-- among live rows) and members_org_external_id_idx (the (org, externalId)
-- look-up) both indexed the external id of every member. One unique index
-- with the external id second serves both: the uniqueness is the same set of
-- columns, and a look-up by (org_id, external_id) of live rows (SCIM
-- matching, the sync's affected members) uses its first two columns. No query
-- looks removed members up by external id.
DROP INDEX members_org_external_id_idx;
DROP INDEX members_external_id_key;
CREATE UNIQUE INDEX members_external_id_key
	ON members (org_id, external_id, source_kind,
		    coalesce(scim_connection_id::text, directory_name, ''))
	WHERE external_id IS NOT NULL AND status <> 'removed';

-- ------------------------------ usernames of IdP-provisioned members (002)
-- The commit-time check against pending invitations ran once per inserted
-- member: 100,000 queued events, each a plpgsql call, an org share lock and
-- an invitation probe at COMMIT (1.2-2.6 s of a first sync). It is deferred
-- because accepting an invitation inserts the member while the invitation is
-- still pending and marks it accepted afterwards (core/invitations.c). Only
-- acceptance does that, and it makes *local* members. Members an IdP
-- provisions (SCIM, LDAP) are never part of an acceptance, so their check
-- runs once per statement, right away, over the statement's new rows.
--
-- The same guarantee under concurrency: the check share-locks the org row
-- before it reads the invitations and keeps that lock to the end of the
-- transaction. An invitation writer locks the row exclusively (FOR UPDATE,
-- or ob_lock_org in its own commit-time check), so it either committed
-- before (READ COMMITTED: the next statement sees its invitation; REPEATABLE
-- READ: locking a row updated after the snapshot fails with 40001) or waits
-- for this transaction and then sees the member in its own check.
-- test_schema.c: test_race_idp_member_and_invitation_cannot_both_take_a_username.

DROP TRIGGER members_username_vs_invitations ON members;
CREATE CONSTRAINT TRIGGER members_username_vs_invitations AFTER INSERT ON members
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.status <> 'removed' AND NEW.source_kind = 'local')
	EXECUTE FUNCTION ob_check_member_username();

CREATE FUNCTION ob_check_new_idp_member_usernames() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_org      uuid;
	v_username text;
BEGIN
	-- Lock first, then read: the read must see whatever invitation writer
	-- the lock waited for.
	FOR v_org IN SELECT DISTINCT n.org_id FROM ob_new_members n
		      WHERE n.source_kind <> 'local' AND n.status <> 'removed' LOOP
		PERFORM ob_share_org(v_org);
	END LOOP;
	SELECT n.org_id, n.username INTO v_org, v_username
	  FROM ob_new_members n
	  JOIN invitations i ON i.org_id = n.org_id AND lower(i.username) = lower(n.username)
	 WHERE n.source_kind <> 'local' AND n.status <> 'removed' AND i.status = 'pending'
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'username "%" is taken by a pending invitation of organization %',
			v_username, v_org
			USING ERRCODE = 'unique_violation', DETAIL = 'org_id=' || v_org,
			      CONSTRAINT = 'members_username_invited', COLUMN = 'username',
			      TABLE = 'members', SCHEMA = TG_TABLE_SCHEMA;
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER members_idp_username_vs_invitations AFTER INSERT ON members
	REFERENCING NEW TABLE AS ob_new_members
	FOR EACH STATEMENT EXECUTE FUNCTION ob_check_new_idp_member_usernames();
