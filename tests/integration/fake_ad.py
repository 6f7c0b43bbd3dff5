#!/usr/bin/python3
"""A tiny LDAPv3 server that answers like Active Directory's ranged
retrieval, for tests/integration/test_ldap_ranges.c (slapd never splits an
attribute into member;range=... slices).

    fake_ad.py PORT

Every bind succeeds. Under ou=people,dc=example,dc=org there are two users;
under ou=groups,dc=example,dc=org two groups whose `member` holds MEMBERS
values, returned SLICE at a time:
  cn=big  member;range=0-1, then on request 2-3, 4-* (the last slice)
  cn=gap  member;range=0-1, then, asked for 2-*, the slice 3-* (one skipped)
Group searches understand one filter, (cn=NAME). Paged-results requests get
the control back with an empty cookie. One connection at a time; runs until
killed.
"""
import socket
import sys

SUFFIX = "dc=example,dc=org"
PEOPLE = "ou=people," + SUFFIX
GROUPS = "ou=groups," + SUFFIX
MEMBERS = ["uid=m%d,%s" % (i, PEOPLE) for i in range(5)]
SLICE = 2
PAGED_OID = b"1.2.840.113556.1.4.319"


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


def result(app_tag, code=0):
    return enc(app_tag, integer(code, 0x0A) + octets("") + octets(""))


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


def search(msgid, req, controls):
    fields = elements(req)
    base = fields[0][1].decode()
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
