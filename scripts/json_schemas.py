#!/usr/bin/env python3
"""Writes docs/schemas/*.schema.json: one strict JSON Schema (draft 2020-12) per kind of output
the CLI prints with `-o json` (docs/json.md). Run it after changing a shape:
`python3 scripts/json_schemas.py`; tests/it/cli_json_contract.rs validates every command's
output against these files."""
import json, os

BASE = "https://gatehouse.invalid/schemas/"
OUT = os.path.join(os.path.dirname(__file__), "..", "docs", "schemas")

S = {"type": "string"}
I = {"type": "integer", "minimum": 0}
B = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
ANY = {}
def null(t): return {"anyOf": [t, {"type": "null"}]}
def arr(t): return {"type": "array", "items": t}
def obj(props, optional=()):
    return {"type": "object", "additionalProperties": False,
            "required": [k for k in props if k not in optional], "properties": props}
def ref(name): return {"$ref": "#/$defs/" + name}

DEFS = {
    "user_ref": obj({"id": UUID, "username": S}),
    "actor_ref": obj({"id": null(UUID), "username": S}),
    "role_ref": obj({"id": UUID, "name": S}),
    "team_ref": obj({"id": UUID, "key": S}),
    "strings": arr(S),
}
PERM = {"id": UUID, "catalog": S, "entity": S, "entity_uuid": null(S), "grants": ref("strings"),
        "denies": ref("strings"), "conditions": ref("strings"),
        "query_attributes": ref("strings"), "read_attributes": ref("strings"),
        "write_attributes": ref("strings"), "description": S, "entity_type": null(S),
        "scope": null(S), "version": I, "created_by": null(ref("user_ref")),
        "created_at": TIME, "updated_at": TIME}
DEFS["permission"] = obj(PERM)
DEFS["grant"] = obj({**PERM, "expires_at": null(TIME)})
ROLE = {"id": UUID, "name": S, "description": S, "version": I,
        "created_by": null(ref("user_ref")), "created_at": TIME, "updated_at": TIME}
DEFS["role"] = obj(ROLE)
TEAM = {"id": UUID, "key": S, "name": S, "description": S, "default_role": null(ref("role_ref")),
        "version": I, "created_at": TIME, "updated_at": TIME}
DEFS["team"] = obj(TEAM)
USER = {"id": UUID, "username": S, "email": S, "display_name": S, "first_name": S,
        "last_name": S, "kind": {"enum": ["person", "service"]}, "disabled": B, "owner": B,
        "created_at": TIME, "updated_at": TIME, "version": I}
DEFS["user"] = obj(USER)
KEY = {"id": UUID, "prefix": S, "user": ref("user_ref"), "read_only": B,
       "expires_at": null(TIME), "created_at": TIME, "last_used_at": null(TIME),
       "revoked_at": null(TIME)}
DEFS["key"] = obj(KEY)
DEFS["effective"] = obj({"permission": UUID, "catalog": S, "entity": S, "entity_uuid": null(S),
                         "allows": ref("strings"), "denies": ref("strings"), "path": S,
                         "team_only": null(ref("team_ref")), "expires_at": null(TIME)})
ACCESS = obj({"catalog": S, "entity": S, "entity_uuid": null(S), "action": S,
              "context": obj({"on": {"enum": ["any", "own", "team"]}, "team_id": UUID},
                             optional=("team_id",))})
FLAG = null(obj({"before": B, "after": B}))
DEFS["effect"] = obj({"users": arr(obj({"user": ref("user_ref"), "user_created": B,
                                        "user_deleted": B, "owner_change": FLAG,
                                        "disabled_change": FLAG,
                                        "gains": arr(ACCESS), "losses": arr(ACCESS)}))})
KINDS = obj({"user_count": I, "team_count": I, "role_count": I, "permission_count": I,
             "link_count": I})
# A plan's items and a Mage call's checks are the engine's own words: objects, shaped there.
OPAQUE = {"type": "object"}
PLAN = obj({"changes": arr(OPAQUE), "effect": ref("effect"),
            "summary": obj({"create_count": I, "update_count": I, "delete_count": I})})

SCHEMAS = {
    "error": obj({"error": obj({"code": {"enum": ["usage", "invalid", "not_found", "conflict",
                                                  "stale", "forbidden", "unsupported",
                                                  "unavailable", "store", "no_store"]},
                                "message": S, "field": null(S)})}),
    "message": obj({"message": S, "revision": I}),
    "status": obj({"store": S, "revision": I, "acting_as": ref("actor_ref"), "can_write": B,
                   "read_only_reason": null(S), "initialized": B, "created_now": B,
                   "counts": obj({"user_count": I, "team_count": I, "role_count": I,
                                  "permission_count": I, "api_key_count": I}),
                   "next_steps": ref("strings")}),
    "init": obj({"created_now": B, "admin": ref("actor_ref"), "revision": I}),
    "catalog-list": arr(obj({"name": S, "title": S, "dialect": S, "entity_count": I,
                             "flag_count": I, "description": S})),
    "catalog": obj({"name": S, "title": S, "dialect": S, "description": S,
                    "guarded_flag": null(S),
                    "entities": arr(obj({"name": S, "flags": ref("strings"), "description": S})),
                    "flags": arr(obj({"name": S, "value": null(I), "deny_value": null(I),
                                      "group": B, "modifier": B,
                                      "implies": ref("strings"), "description": S})),
                    "conditions": arr(obj({"name": S, "description": S}))}),
    "preset-list": arr(obj({"name": S, "title": S, "description": S})),
    "import-report": obj({"dry_run": B, "created": KINDS, "present": KINDS,
                          "created_roles": ref("strings"), "revision": I,
                          "notes": ref("strings")}),
    "role": ref("role"),
    "role-list": arr(obj({**ROLE, "permission_count": I, "user_count": I, "team_count": I})),
    "role-detail": obj({**ROLE, "permissions": arr(ref("permission")),
                        "users": arr(obj({"user": ref("user_ref"), "expires_at": null(TIME)})),
                        "teams": arr(obj({"team": ref("team_ref"), "expires_at": null(TIME)})),
                        "member_of": arr(obj({"user": ref("user_ref"), "team": ref("team_ref"),
                                              "expires_at": null(TIME)}))}),
    "user": ref("user"),
    "user-list": arr(obj({**USER, "roles": arr(ref("role_ref")), "teams": arr(ref("team_ref"))})),
    "user-detail": obj({**USER,
                        "roles": arr(obj({"role": ref("role_ref"), "expires_at": null(TIME)})),
                        "teams": arr(obj({"team": ref("team_ref"), "role": null(ref("role_ref")),
                                          "expires_at": null(TIME)})),
                        "direct_grants": arr(ref("grant")), "api_keys": arr(ref("key")),
                        "effective": arr(ref("effective")), "effective_owner": B}),
    "team": ref("team"),
    "team-list": arr(obj({**TEAM, "member_count": I})),
    "team-detail": obj({**TEAM,
                        "members": arr(obj({"user": ref("user_ref"), "role": null(ref("role_ref")),
                                            "expires_at": null(TIME)})),
                        "roles": arr(obj({"role": ref("role_ref"), "expires_at": null(TIME)})),
                        "direct_grants": arr(ref("grant"))}),
    "permission": ref("permission"),
    "permission-list": arr(obj({**PERM, "role_count": I, "direct_holder_count": I,
                                "inert_conditions": B})),
    "permission-detail": obj({**PERM, "roles": arr(ref("role_ref")),
                              "direct_holders": arr(obj({"user": null(ref("user_ref")),
                                                         "team": null(ref("team_ref")),
                                                         "expires_at": null(TIME)})),
                              "users_through_roles": arr(obj({"user": ref("user_ref"),
                                                              "role": ref("role_ref")})),
                              "inert_conditions": B}),
    "resource-grant-list": arr(obj({"name": S, "kind": {"enum": ["user", "team", "client"]},
                                    "scopes": ref("strings"), "expires_at": TIME,
                                    "scope_ends": arr(obj({"scope": S, "expires_at": TIME}))},
                                   optional=("expires_at", "scope_ends"))),
    "mine-list": arr(obj({"resource": S, "scopes": ref("strings")})),
    "check": obj({"allowed": B, "decision": {"enum": ["ALLOW", "DENY"]}, "user": ref("user_ref"),
                  "action": S, "catalog": S, "entity": S, "entity_uuid": null(S),
                  "attribute": OPAQUE, "reason": S, "at": TIME, "explanation": OPAQUE},
                 optional=("attribute", "at", "explanation")),
    "check-call": obj({"allowed": B, "decision": {"enum": ["ALLOW", "DENY"]},
                       "user": ref("user_ref"), "action": S, "catalog": S, "entity": S,
                       "entity_uuid": null(S), "scope": {"enum": ["call", "operation"]},
                       "reason": S, "call": OPAQUE}),
    "who-can": arr(obj({"user": ref("user_ref"), "path": S})),
    "what-can": obj({"user": ref("user_ref"), "owner": B, "disabled": B,
                     "entries": arr(ref("effective")),
                     "mage_calls": arr(obj({"entity": S, "op": S, "allowed": B}))},
                    optional=("mage_calls",)),
    "test-report": obj({"assertions": arr(obj({"file": S, "line": I, "username": S, "action": S,
                                               "target": S,
                                               "expected": {"enum": ["ALLOW", "DENY", "ERROR"]},
                                               "got": {"enum": ["ALLOW", "DENY", "ERROR"]},
                                               "passed": B, "reason": S})),
                        "passed_count": I, "failed_count": I}),
    "expire-list": arr(obj({"kind": S, "relation": S, "expires_at": TIME, "ended": B})),
    "pruned": obj({"removed_count": I, "revision": I}),
    "audit-list": arr(obj({"revision": I, "at": TIME, "actor": ref("actor_ref"), "action": S,
                           "object_kind": S, "object_id": S, "before": ANY, "after": ANY,
                           "diff": S})),
    "key-list": arr(ref("key")),
    "key-created": obj({**KEY, "secret": S}),
    "dry-run": obj({"dry_run": B, "would": S, "effect": ref("effect")}),
    "plan": PLAN,
    "apply": obj({"plan": PLAN, "applied_count": I, "revision": I}),
    # The policy document (`export`): the same document `import` reads; its shape is the
    # document's own (docs/PRODUCT.md), checked loosely here.
    "export": {"type": "object"},
}

def main():
    os.makedirs(OUT, exist_ok=True)
    for name, body in SCHEMAS.items():
        doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
               "$id": BASE + name + ".schema.json",
               "title": "gatehouse -o json: " + name}
        doc.update(body)
        doc["$defs"] = DEFS
        with open(os.path.join(OUT, name + ".schema.json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")

if __name__ == "__main__":
    main()
