# LDAP client: connections, paged and ranged searches, escaping.
