#!/usr/bin/python3
"""A tiny LDAPv3 server that answers like Active Directory where slapd
cannot: ranged retrieval, for tests/integration/test_ldap_ranges.c (slapd
never splits an attribute into member;range=... slices), and the in-chain
matching rule, for tests/integration/test_sync_ad.c.

    fake_ad.py PORT [--not-ad]

Ranged retrieval:

Every bind succeeds. Under ou=people,dc=example,dc=org there are two users;
under ou=groups,dc=example,dc=org two groups whose `member` holds MEMBERS
values, returned SLICE at a time:
  cn=big  member;range=0-1, then on request 2-3, 4-* (the last slice)
  cn=gap  member;range=0-1, then, asked for 2-*, the slice 3-* (one skipped)
Group searches understand one filter, (cn=NAME). Paged-results requests get
the control back with an empty cookie. One connection at a time; runs until
killed.

In-chain (everything under ou=ad,dc=example,dc=org, see AD_USERS and
AD_GROUPS): searches evaluate their filter (and/or/not, =, >=, <=, present
and the extensible match memberOf:1.2.840.113556.1.4.1941:=DN, true for
an entry reached from that group through any chain of `member` values,
cycles included), honour base/one/sub scope, the attributes asked for and
real paging (the cookie is the next offset); modify requests change the
entries and their modifyTimestamp. An in-chain assertion about a group
whose cn starts with "refuse" is answered with unwillingToPerform (53). The
root DSE announces Active Directory (supportedCapabilities
1.2.840.113556.1.4.800) unless --not-ad, which also makes the in-chain
rule unknown: it matches nothing, as a server without it answers.
"""
import socket
import sys

SUFFIX = "dc=example,dc=org"
PEOPLE = "ou=people," + SUFFIX
GROUPS = "ou=groups," + SUFFIX
MEMBERS = ["uid=m%d,%s" % (i, PEOPLE) for i in range(5)]
SLICE = 2
PAGED_OID = b"1.2.840.113556.1.4.319"
IN_CHAIN = "1.2.840.113556.1.4.1941"
AD_CAPABILITY = "1.2.840.113556.1.4.800"
NOT_AD = "--not-ad" in sys.argv[2:]

AD = "ou=ad," + SUFFIX
AD_PEOPLE = "ou=users," + AD
AD_GROUPS = "ou=groups," + AD
# User names; the True ones are disabled (userAccountControl 514).
AD_USERS = {"alice": False, "bob": False, "carol": False, "dave": True, "erin": False,
            "frank": False, "gina": False}
# Groups: RDN value as written in the DN -> member values ("u:NAME" a user,
# "g:RDN" a group). staff > eng > platform > sre: carol is only three levels
# below staff, and platform holds staff again (a cycle).
AD_GROUPS_INIT = [
    ("staff", ["g:eng", "u:alice"]),
    ("eng", ["g:platform", "u:bob", "u:dave"]),
    ("platform", ["g:sre", "g:staff"]),
    ("sre", ["u:carol"]),
    ("admins", ["u:bob"]),
    ("Ops (EU)\\, West", ["u:frank"]),
    ("refused", ["u:gina"]),
]


class Refused(Exception):
    """A search the server refuses: (result code, message)."""


def norm(dn):
    """A DN compared as AD would here: case and spaces around , = ignored."""
    out, i = [], 0
    while i < len(dn):
        c = dn[i]
        if c == "\\" and i + 1 < len(dn):
            out.append(dn[i:i + 2].lower())
            i += 2
            continue
        if c in ",=":
            while out and out[-1] == " ":
                out.pop()
            out.append(c)
            i += 1
            while i < len(dn) and dn[i] == " ":
                i += 1
            continue
        out.append(c.lower())
        i += 1
    return "".join(out).strip()


class Directory:
    """The in-chain data set: entries by normalised DN, each {attr: [values]}
    with the attribute names as written (looked up case-insensitively)."""

    def __init__(self):
        self.clock = 0
        self.entries = {}
        self.order = []
        for dn in (AD, AD_PEOPLE, AD_GROUPS):
            self.add(dn, {"objectClass": ["organizationalUnit"]})
        for i, (name, disabled) in enumerate(sorted(AD_USERS.items())):
            self.add("cn=%s,%s" % (name, AD_PEOPLE), {
                "objectClass": ["top", "person", "organizationalPerson", "user"],
                "objectCategory": ["person"],
                "cn": [name], "sAMAccountName": [name], "mail": [name + "@ad.example"],
                "displayName": ["User " + name],
                "objectGUID": [bytes([i + 1] * 4) + bytes(range(12))],
                "userAccountControl": ["514" if disabled else "512"]})
        for rdn, members in AD_GROUPS_INIT:
            self.add("cn=%s,%s" % (rdn, AD_GROUPS), {
                "objectClass": ["top", "group"], "cn": [rdn.replace("\\", "")],
                "member": [self.member_dn(m) for m in members]})

    @staticmethod
    def member_dn(value):
        kind, name = value.split(":", 1)
        return "cn=%s,%s" % (name, AD_PEOPLE if kind == "u" else AD_GROUPS)

    def stamp(self):
        self.clock += 1
        return "20240101%06d.0Z" % self.clock

    def add(self, dn, attrs):
        attrs["modifyTimestamp"] = [self.stamp()]
        self.entries[norm(dn)] = (dn, attrs)
        self.order.append(norm(dn))

    def modify(self, dn, changes):
        """changes: (0 add | 1 delete | 2 replace, attr, values). The result code."""
        if norm(dn) not in self.entries:
            return 32
        attrs = self.entries[norm(dn)][1]
        for op, attr, vals in changes:
            name = next((a for a in attrs if a.lower() == attr.lower()), attr)
            have = attrs.get(name, [])
            if op == 0:
                attrs[name] = have + vals
            elif op == 1:
                drop = {norm(v) for v in vals}
                attrs[name] = [v for v in have if vals and norm(v) not in drop]
            else:
                attrs[name] = list(vals)
        attrs["modifyTimestamp"] = [self.stamp()]
        return 0

    @staticmethod
    def values(attrs, attr):
        for name, vals in attrs.items():
            if name.lower() == attr.lower():
                return vals
        return []

    def chain(self, group_dn):
        """Normalised DNs reached from group_dn through member values."""
        seen, todo = set(), [norm(group_dn)]
        while todo:
            g = todo.pop()
            if g not in self.entries:
                continue
            for m in self.values(self.entries[g][1], "member"):
                if norm(m) not in seen:
                    seen.add(norm(m))
                    todo.append(norm(m))
        return seen

    def match(self, flt, dn, attrs):
        tag, body = flt
        if tag == 0xA0:
            return all(self.match(f, dn, attrs) for f in elements(body))
        if tag == 0xA1:
            return any(self.match(f, dn, attrs) for f in elements(body))
        if tag == 0xA2:
            return not self.match(elements(body)[0], dn, attrs)
        if tag == 0x87:
            return bool(self.values(attrs, body.decode()))
        if tag in (0xA3, 0xA5, 0xA6):
            attr, value = [v.decode() for _, v in elements(body)]
            have = [v.lower() for v in self.values(attrs, attr) if isinstance(v, str)]
            want = value.lower()
            if tag == 0xA3:
                return want in have
            if tag == 0xA5:
                return any(v >= want for v in have)
            return any(v <= want for v in have)
        if tag == 0xA9:
            parts = {t: v.decode() for t, v in elements(body)}
            rule, attr, value = parts.get(0x81), parts.get(0x82, ""), parts.get(0x83)
            if rule == IN_CHAIN and attr.lower() == "memberof" and not NOT_AD:
                group = self.entries.get(norm(value))
                if group is not None and any(
                        c.lower().startswith("refuse") for c in self.values(group[1], "cn")):
                    raise Refused(53, "00002024: in-chain evaluation refused for " + value)
                return norm(dn) in self.chain(value)
            return False  # an unknown rule is Undefined: no match
        raise Refused(53, "filter type 0x%02x not understood by fake_ad.py" % tag)

    def in_scope(self, key, base, scope):
        if scope == 0:
            return key == base
        if not key.endswith("," + base):
            return scope == 2 and key == base
        return scope == 2 or "," not in key[:-len(base) - 1].replace("\\,", "")

    def search(self, base, scope, flt, attrs):
        """[(dn, [(attr, values)])] or raises Refused."""
        base = norm(base)
        if base not in self.entries:
            raise Refused(32, "no such object: " + base)
        out = []
        for key in self.order:
            dn, have = self.entries[key]
            if not self.in_scope(key, base, scope) or not self.match(flt, dn, have):
                continue
            if "1.1" in attrs:
                shown = []
            elif not attrs or "*" in attrs:
                shown = list(have.items())
            else:
                wanted = {a.lower() for a in attrs}
                shown = [(a, v) for a, v in have.items() if a.lower() in wanted and v]
            out.append((dn, shown))
        return out


AD_DIRECTORY = Directory()


def tlv(data, pos):
    """(tag, value, next position) of the BER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, data[pos:pos + length], pos + length


def elements(data):
    pos, out = 0, []
    while pos < len(data):
        tag, value, pos = tlv(data, pos)
        out.append((tag, value))
    return out


def enc(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([tag, 0x80 | len(size)]) + size
    return head + content


def octets(s):
    return enc(0x04, s.encode() if isinstance(s, str) else s)


def integer(n, tag=0x02):
    return enc(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def message(msgid, op, controls=b""):
    return enc(0x30, integer(msgid) + op + controls)


def result(app_tag, code=0, text=""):
    return enc(app_tag, integer(code, 0x0A) + octets("") + octets(text))


def entry(dn, attrs):
    parts = b"".join(enc(0x30, octets(name) + enc(0x31, b"".join(octets(v) for v in vals)))
                     for name, vals in attrs)
    return enc(0x64, octets(dn) + enc(0x30, parts))


def member_slice(group, first):
    """(attribute name, values) of the slice starting at first."""
    if group == "gap" and first > 0:
        first += 1  # the server skips a value: the client must notice
    last = first + SLICE - 1
    if last >= len(MEMBERS) - 1:
        return "member;range=%d-*" % first, MEMBERS[first:]
    return "member;range=%d-%d" % (first, last), MEMBERS[first:last + 1]


def paging(controls):
    """(page size, offset) of a paged-results request control, or None."""
    for _, ctrl in elements(controls):
        parts = elements(ctrl)
        if parts and parts[0][1] == PAGED_OID:
            size, cookie = elements(elements(parts[-1][1])[0][1])
            return int.from_bytes(size[1], "big"), int(cookie[1] or b"0")
    return None


def page_done(msgid, next_offset):
    cookie = str(next_offset).encode() if next_offset else b""
    value = enc(0x30, integer(0) + octets(cookie))
    ctrl = enc(0xA0, enc(0x30, octets(PAGED_OID) + octets(value)))
    return message(msgid, result(0x65), ctrl)


def root_dse(msgid):
    caps = [] if NOT_AD else [AD_CAPABILITY]
    attrs = [("supportedCapabilities", caps)] if caps else []
    return [message(msgid, entry("", attrs + [("vendorName", ["fake_ad.py"])])),
            message(msgid, result(0x65))]


def search_ad(msgid, fields, controls):
    base = fields[0][1].decode()
    scope = int.from_bytes(fields[1][1], "big")
    attrs = [v.decode() for _, v in elements(fields[7][1])]
    try:
        found = AD_DIRECTORY.search(base, scope, fields[6], attrs)
    except Refused as e:
        code, text = e.args
        return [message(msgid, result(0x65, code, text))]
    page = paging(controls)
    if page is None:
        return [message(msgid, entry(dn, a)) for dn, a in found] + [message(msgid, result(0x65))]
    size, first = page
    shown = found[first:first + size]
    rest = first + size if first + size < len(found) else 0
    return [message(msgid, entry(dn, a)) for dn, a in shown] + [page_done(msgid, rest)]


def modify(msgid, req):
    fields = elements(req)
    changes = []
    for _, change in elements(fields[1][1]):
        op, attr = elements(change)
        name, vals = elements(attr[1])
        changes.append((int.from_bytes(op[1], "big"), name[1].decode(),
                        [v.decode() for _, v in elements(vals[1])]))
    return message(msgid, result(0x67, AD_DIRECTORY.modify(fields[0][1].decode(), changes)))


def search(msgid, req, controls):
    fields = elements(req)
    base = fields[0][1].decode()
    if base == "":
        return root_dse(msgid)
    if norm(base) == norm(AD) or norm(base).endswith("," + norm(AD)):
        return search_ad(msgid, fields, controls)
    attrs = [v.decode() for _, v in elements(fields[7][1])]
    only = None  # (cn=X), the one filter understood: that group only
    if fields[6][0] == 0xA3:
        attr, value = [v for _, v in elements(fields[6][1])]
        if attr.decode().lower() == "cn":
            only = value.decode()
    out = []
    if base == PEOPLE:
        for uid in ("a", "b"):
            out.append(entry("uid=%s,%s" % (uid, PEOPLE),
                             [("uid", [uid]), ("mail", [uid + "@example.org"]),
                              ("entryUUID", ["00000000-0000-0000-0000-00000000000" + uid])]))
    elif base == GROUPS:
        for cn in ("big", "gap"):
            if only is not None and cn != only:
                continue
            name, vals = member_slice(cn, 0)
            out.append(entry("cn=%s,%s" % (cn, GROUPS), [("cn", [cn]), (name, vals)]))
    elif base.endswith("," + GROUPS):
        cn = base.split(",")[0][3:]
        wanted = [a for a in attrs if a.lower().startswith("member;range=")]
        if wanted:
            first = int(wanted[0].split("=")[1].split("-")[0])
            name, vals = member_slice(cn, first)
            out.append(entry(base, [(name, vals)]))
    done_controls = b""
    for _, ctrl in elements(controls):
        parts = elements(ctrl)
        if parts and parts[0][1] == PAGED_OID:
            value = enc(0x30, integer(0) + octets(b""))
            done_controls = enc(0xA0, enc(0x30, octets(PAGED_OID) + octets(value)))
    return [message(msgid, e) for e in out] + [message(msgid, result(0x65), done_controls)]


def serve(conn):
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 2:
            try:
                _, body, end = tlv(buf, 0)
            except IndexError:
                break
            if end > len(buf):
                break
            buf = buf[end:]
            parts = elements(body)
            msgid = int.from_bytes(parts[0][1], "big")
            tag, op = parts[1]
            controls = parts[2][1] if len(parts) > 2 and parts[2][0] == 0xA0 else b""
            if tag == 0x60:    # bind
                conn.sendall(message(msgid, result(0x61)))
            elif tag == 0x63:  # search
                conn.sendall(b"".join(search(msgid, op, controls)))
            elif tag == 0x66:  # modify
                conn.sendall(modify(msgid, op))
            elif tag == 0x42:  # unbind
                return


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn)
        except (ConnectionError, IndexError, ValueError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
