#!/bin/sh
# docs/openapi.yaml against the route table (src/api/routes.c): every route of
# the management API and operations (/api/v1/..., /healthz, /readyz, /metrics)
# is documented with its method, nothing documented is missing from the
# table, and the document holds together (OpenAPI 3.1, path parameters
# declared, every $ref resolves, unique operationIds). SCIM is left to its own
# discovery endpoints. TAP output; needs python3-yaml (scripts/install-deps).
set -eu
srcdir=${OB_SRCDIR:-.}
exec /usr/bin/python3 - "$srcdir/src/api/routes.c" "$srcdir/docs/openapi.yaml" <<'PY'
import re
import sys

routes_c, openapi_path = sys.argv[1], sys.argv[2]
results = []

def check(ok, name, detail=""):
    results.append((ok, name, detail))

try:
    import yaml
except ImportError:
    print("1..1")
    print("not ok 1 - python3-yaml is missing (run scripts/install-deps)")
    sys.exit(1)

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

def documented_scope(path):
    return path.startswith("/api/v1/") or path in ("/healthz", "/readyz", "/metrics")

with open(routes_c, encoding="utf-8") as f:
    table = re.findall(r'\{\s*"([A-Z]+)",\s*"(/[^"]*)"', f.read())
routes = {(m, p) for m, p in table if documented_scope(p)}
scim_routes = {(m, p) for m, p in table if p.startswith("/scim/")}

with open(openapi_path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)

check(isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3.1."),
      "openapi.yaml is an OpenAPI 3.1 document", "openapi: %r" % (doc or {}).get("openapi"))

paths = doc.get("paths") or {}
operations = {}
for path, item in paths.items():
    for method, op in (item or {}).items():
        if method in METHODS:
            operations[(method.upper(), path)] = op

missing = sorted(routes - set(operations))
check(len(routes) > 0 and not missing,
      "every route of src/api/routes.c under /api/v1, /healthz, /readyz, /metrics is documented",
      "\n".join("missing from openapi.yaml: %s %s" % r for r in missing) or "no routes found")

extra = sorted(set(operations) - routes)
check(not extra, "every documented operation is a route of src/api/routes.c",
      "\n".join("not in routes.c: %s %s" % r for r in extra))

scim_documented = sorted(p for p in paths if p.startswith("/scim/"))
check(scim_routes and not scim_documented,
      "SCIM routes exist and are left to SCIM's discovery endpoints",
      "\n".join("documented SCIM path: " + p for p in scim_documented))

def resolve(node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        node = lookup(node["$ref"])
        seen += 1
    return node

def lookup(ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node

bad_refs = []
def walk(node, where):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and lookup(ref) is None:
            bad_refs.append("%s: %s" % (where, ref))
        for k, v in node.items():
            walk(v, where + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, where + "/" + str(i))
walk(doc, "#")
check(not bad_refs, "every $ref resolves", "\n".join(bad_refs))

param_problems = []
for path, item in paths.items():
    in_template = set(re.findall(r"\{([^}]+)\}", path))
    shared = [resolve(p) for p in (item or {}).get("parameters", [])]
    for method, op in (item or {}).items():
        if method not in METHODS:
            continue
        params = shared + [resolve(p) for p in op.get("parameters", [])]
        declared = {p.get("name") for p in params if isinstance(p, dict) and p.get("in") == "path"}
        for name in sorted(in_template - declared):
            param_problems.append("%s %s: {%s} not declared" % (method.upper(), path, name))
        for name in sorted(declared - in_template):
            param_problems.append("%s %s: path parameter %s not in the path" % (method.upper(), path, name))
        for p in params:
            if isinstance(p, dict) and p.get("in") == "path" and p.get("required") is not True:
                param_problems.append("%s %s: path parameter %s must be required" % (method.upper(), path, p.get("name")))
check(not param_problems, "path parameters match the path templates", "\n".join(param_problems))

ids, op_problems = {}, []
for (method, path), op in sorted(operations.items()):
    oid = op.get("operationId")
    if not oid:
        op_problems.append("%s %s: no operationId" % (method, path))
    elif oid in ids:
        op_problems.append("%s %s: operationId %s also used by %s" % (method, path, oid, ids[oid]))
    else:
        ids[oid] = "%s %s" % (method, path)
    if not op.get("responses"):
        op_problems.append("%s %s: no responses" % (method, path))
check(not op_problems, "every operation has a unique operationId and responses", "\n".join(op_problems))

print("1..%d" % len(results))
failed = 0
for i, (ok, name, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        failed += 1
        for line in detail.splitlines():
            print("# " + line)
sys.exit(1 if failed else 0)
PY
