-- 006_json_helpers: small SQL functions the API uses to render rows as JSON.

-- Timestamps in API bodies: ISO 8601 in UTC with a Z, whatever the session's
-- TimeZone ("2026-11-22T07:38:08Z"). NULL stays NULL.
CREATE FUNCTION ob_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
