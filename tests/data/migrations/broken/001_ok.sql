-- Applies cleanly; stays applied when 002 fails.
CREATE TABLE mig_ok (id integer PRIMARY KEY);
