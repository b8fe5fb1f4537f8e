#!/usr/bin/env python3
"""Check assets/catalogs/mage_calls.toml against a live Mage 0.9.80 (stdlib only).

For every non-broken LIST and DETAIL entry (read-only calls):
  1. the owner's answer must present exactly read+unchecked (and the same for each nested object
     that is present and non-empty);
  2. a test user whose role grants OPERATION_ALL|READ(|QUERY) with read_attributes = the catalogued
     lists (per entity) must pass;
  3. withholding one attribute must give 403 naming it, or, for `unchecked`, must still pass.
It creates one user, one role and a few permissions (names start with hcalls_verify) and deletes them.
Usage: mage-calls-verify.py URL [CATALOG] [--member ENTITY=ID ...] [--param pipeline_uuid=...]
"""
import base64, json, sys, tomllib, urllib.error, urllib.request

KEY = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"
OP_ALL, QUERY, READ = 1024, 2048, 8192
args = [a for a in sys.argv[1:] if not a.startswith("--")]
URL = args[0].rstrip("/") if args else "http://127.0.0.1:6789"
CATALOG = args[1] if len(args) > 1 else "assets/catalogs/mage_calls.toml"
opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
MEMBER = {"Role": None, "Pipeline": "example_pipeline", "PipelineSchedule": None}
PARAMS = {"pipeline_uuid": opts.get("pipeline_uuid", "example_pipeline")}

def call(method, path, body=None, token=None, query=""):
    req = urllib.request.Request(f"{URL}/api/{path}?_http_error_codes=false{query}",
                                 data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("X-API-KEY", KEY)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:  # _http_error_codes is read as "present"
        return json.loads(err.read())

def login(email, pw):
    jwt = call("POST", "sessions", {"session": {"email": email, "password": pw}})["session"]["token"]
    p = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["token"]

def body(r):
    return [v for k, v in r.items() if k not in ("metadata", "error")][0]

def keys_of(objs):
    return set(k for o in objs if isinstance(o, dict) for k in o)

failures, checks = [], 0
def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL", what)

def compare_tree(objs, spec, where):
    if not objs:
        return
    want = set(spec["read"]) | set(spec.get("unchecked", []))
    got = keys_of(objs)
    check(got == want, f"{where}: presented {sorted(got)} != catalogued {sorted(want)}")
    for n in spec.get("nested", []):
        sub = []
        for o in objs:
            v = o.get(n["attribute"])
            sub += v if isinstance(v, list) else ([v] if isinstance(v, dict) else [])
        compare_tree([s for s in sub if s], n, f"{where}.{n['attribute']}")

def grants(spec, acc):
    for n in spec.get("nested", []):
        acc.setdefault(n["entity"], set()).update(n["read"], n.get("unchecked", []))
        grants(n, acc)
    return acc

def checked_pairs(spec, entity, acc):
    for a in spec["read"]:
        acc.add((entity, a))
    for n in spec.get("nested", []):
        checked_pairs(n, n["entity"], acc)
    return acc

def main():
    owner = login("admin@admin.com", "admin")
    cat = tomllib.load(open(CATALOG, "rb"))
    role = body(call("POST", "roles", {"role": {"name": "hcalls_verify_role"}}, owner))["id"]
    call("POST", "users", {"user": {"email": "hcalls_verify@example.com", "username": "hcalls_verify",
                                    "password": "hcalls_verify1", "password_confirmation": "hcalls_verify1",
                                    "roles_new": [role]}}, owner)
    uid = [u["id"] for u in body(call("GET", "users", None, owner, "&_limit=1000"))
           if u["email"] == "hcalls_verify@example.com"][0]
    perms = {}
    try:
        def set_grants(g, main_entity, query):
            for ent, attrs in g.items():
                acc = OP_ALL | READ | (QUERY if ent == main_entity and query else 0)
                p = {"permission": {"entity_name": ent, "access": acc, "read_attributes": sorted(attrs),
                                    "query_attributes": query if ent == main_entity else []}}
                if ent in perms:
                    p["permission"]["role_ids"] = [role]
                    call("PUT", f"permissions/{perms[ent]}", p, owner, "&_format=role/detail")
                else:
                    perms[ent] = body(call("POST", "permissions", p, owner, "&_format=role/detail"))["id"]
            for ent in set(perms) - set(g):  # neutralise the rest
                call("PUT", f"permissions/{perms[ent]}", {"permission": {"access": 0, "role_ids": [role]}},
                     owner, "&_format=role/detail")
            call("PUT", f"roles/{role}", {"role": {"permission_ids": [perms[e] for e in g], "user_ids": [uid]}}, owner)
        tok = login("hcalls_verify@example.com", "hcalls_verify1")
        for c in cat["calls"]:
            if c["op"] not in ("LIST", "DETAIL") or c.get("broken"):
                continue
            path = c["path"].format(**PARAMS)
            if c["op"] == "DETAIL":
                first = body(call("GET", path, None, owner))
                if not first:
                    print("skip (no record)", c["entity"], c["op"])
                    continue
                # the record with most non-null values: parsers drop null keys (shared/hash.py extract)
                rec = max(first, key=lambda o: sum(v is not None and v != [] for v in o.values()))
                path += "/" + str(rec.get("uuid") if c["entity"] == "Pipeline" else rec["id"])
            q = "".join(f"&{k}=true" for k in c.get("query", []))
            name = f"{c['entity']} {c['op']} {path}{q}"
            r = call("GET", path, None, owner, q)
            objs = body(r)
            objs = objs if isinstance(objs, list) else [objs]
            if not objs:
                print("skip (empty)", name)
                continue
            compare_tree(objs, c, name)
            g = grants(c, {c["entity"]: set(c["read"]) | set(c.get("unchecked", []))})
            set_grants(g, c["entity"], c.get("query", []))
            r = call("GET", path, None, tok, q)
            check(not r.get("error"), f"{name}: full grant refused: {(r.get('error') or {}).get('message')}")
            for ent, attr in sorted(checked_pairs(c, c["entity"], set())):
                g2 = {e: (a - {attr} if e == ent else a) for e, a in g.items()}
                set_grants(g2, c["entity"], c.get("query", []))
                r = call("GET", path, None, tok, q)
                msg = (r.get("error") or {}).get("message") or ""
                check(f"read access for {attr} on" in msg, f"{name}: without {ent}.{attr} got {msg or 'success'}")
            unchecked = set(c.get("unchecked", []))
            for attr in sorted(unchecked):
                g2 = dict(g, **{c["entity"]: g[c["entity"]] - {attr}})
                set_grants(g2, c["entity"], c.get("query", []))
                r = call("GET", path, None, tok, q)
                check(not r.get("error"), f"{name}: without unchecked {attr} got {(r.get('error') or {}).get('message')}")
            print("done", name)
    finally:
        for p in perms.values():
            call("DELETE", f"permissions/{p}", None, owner)  # answers 500 (from_self) after deleting
        call("DELETE", f"users/{uid}", None, owner)  # likewise
        call("DELETE", f"roles/{role}", None, owner)
    print(f"{checks} checks, {len(failures)} failures")
    sys.exit(1 if failures else 0)

main()
