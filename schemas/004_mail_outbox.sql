-- 004_mail_outbox: mail is written here in the same transaction as the change
-- it announces, and delivered later by a sender (SPEC 10).
--
-- Claiming: a sender picks due rows with
--   SELECT ... WHERE status = 'queued' AND next_attempt_at <= $now
--   ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT n
-- and marks them 'sending' with claimed_by/claimed_at. A row left 'sending'
-- by a crashed daemon is taken back once claimed_at is older than the lease.
CREATE TABLE mail_outbox (
	id              bigint      GENERATED ALWAYS AS IDENTITY,
	recipient       text        NOT NULL,
	subject         text        NOT NULL,
	body            text        NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	status          text        NOT NULL DEFAULT 'queued',
	attempts        integer     NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_error      text,
	sent_at         timestamptz,
	claimed_by      text,
	claimed_at      timestamptz,
	CONSTRAINT mail_outbox_pkey PRIMARY KEY (id),
	CONSTRAINT mail_outbox_recipient_check
		CHECK (length(recipient) <= 254 AND recipient ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'),
	-- A header line: no CR/LF (header injection).
	CONSTRAINT mail_outbox_subject_check CHECK (length(subject) <= 998 AND subject !~ '[\r\n]'),
	CONSTRAINT mail_outbox_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
	CONSTRAINT mail_outbox_attempts_check CHECK (attempts >= 0),
	CONSTRAINT mail_outbox_claim_check
		CHECK (status <> 'sending' OR (claimed_by IS NOT NULL AND claimed_at IS NOT NULL)),
	CONSTRAINT mail_outbox_sent_check CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at);
