# LDAP sync: planning (pure), applying, scheduling.
