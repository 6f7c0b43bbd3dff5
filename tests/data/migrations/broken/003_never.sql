-- Never reached: files after a failing one are not tried.
CREATE TABLE mig_never (id integer PRIMARY KEY);
