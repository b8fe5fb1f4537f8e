//! The OpenAPI 3.1 document at `GET /api/v1/openapi.json`: served without a key, and true to
//! the route table — every route of `wire::ROUTES` is in it with its method, nothing else is,
//! every list route documents `limit` and `after`, and every `$ref` names a schema it holds.
//! A real server in process on 127.0.0.1 (ephemeral port, temp SQLite store).

use crate::support::{bounded, start};
use gatehouse::server::ServerConfig;
use gatehouse::wire::{API_PREFIX, Method, ROUTES};
use serde_json::Value;
use std::collections::HashSet;

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "get",
        Method::Post => "post",
        Method::Put => "put",
        Method::Delete => "delete",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_lists_exactly_the_route_table() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        // No key: like /healthz.
        let res = reqwest::get(f.api("/openapi.json")).await.expect("send");
        assert_eq!(res.status().as_u16(), 200);
        let text = res.text().await.expect("body");
        let doc: Value = serde_json::from_str(&text).expect("the document is JSON");
        let version = doc["openapi"].as_str().unwrap_or_default();
        assert!(version.starts_with("3.1"), "openapi {version}");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let paths = doc["paths"].as_object().expect("paths");
        let methods = ["get", "post", "put", "delete", "patch", "head", "options"];
        let mut listed: HashSet<(String, String)> = HashSet::new();
        for (path, item) in paths {
            for m in methods {
                if item.get(m).is_some() {
                    listed.insert((path.clone(), m.to_string()));
                }
            }
        }
        let table: HashSet<(String, String)> = ROUTES
            .iter()
            .map(|r| {
                (
                    format!("{API_PREFIX}{}", r.path),
                    method_name(r.method).into(),
                )
            })
            .collect();
        let missing: Vec<_> = table.difference(&listed).collect();
        assert!(
            missing.is_empty(),
            "routes not in the document: {missing:?}"
        );
        let stale: Vec<_> = listed.difference(&table).collect();
        assert!(
            stale.is_empty(),
            "in the document but not routes: {stale:?}"
        );
        for r in ROUTES {
            let op = &doc["paths"][format!("{API_PREFIX}{}", r.path)][method_name(r.method)];
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let query: HashSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            if r.op.paged() {
                assert!(
                    query.contains("limit") && query.contains("after"),
                    "{r:?}: {query:?}"
                );
            }
            for segment in r.path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    params
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name),
                    "{r:?}: path parameter {name}"
                );
            }
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|req| req.get("bearer").is_some()));
            assert_eq!(secured, r.auth, "{r:?}: security");
            // A list answers an array (audit: a page object), and only a list does.
            let ok = op["responses"]
                .as_object()
                .and_then(|rs| rs.get("200").or_else(|| rs.get("201")))
                .unwrap_or_else(|| panic!("{r:?}: no success answer"));
            let schema = &ok["content"]["application/json"]["schema"];
            let array = schema["type"] == "array";
            if r.method == Method::Get && r.op != gatehouse::wire::Op::Audit {
                assert_eq!(array, r.op.paged(), "{r:?}: {schema}");
            }
            let error = &op["responses"]["4XX"]["content"]["application/json"]["schema"];
            assert_eq!(error["$ref"], "#/components/schemas/ErrorBody", "{r:?}");
        }
        let schemes = &doc["components"]["securitySchemes"]["bearer"];
        assert_eq!(
            (schemes["type"].as_str(), schemes["scheme"].as_str()),
            (Some("http"), Some("bearer"))
        );
        let tags: HashSet<&str> = doc["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        for t in [
            "roles",
            "permissions",
            "users",
            "teams",
            "relations",
            "engine",
            "admin",
        ] {
            assert!(tags.contains(t), "tag {t}");
        }
        // Every reference names a schema of the document, and the main ones are there.
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > ROUTES.len(), "{} references", all.len());
        for r in &all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(schemas.contains_key(name), "{r} names no schema");
        }
        for name in [
            "Role",
            "Permission",
            "User",
            "Team",
            "ErrorBody",
            "AuditEvent",
            "KeyWire",
        ] {
            assert!(schemas.contains_key(name), "{name}");
        }
        let role = &doc["paths"]["/api/v1/roles"]["get"]["responses"]["200"];
        let items = &role["content"]["application/json"]["schema"]["items"]["$ref"];
        assert_eq!(items, "#/components/schemas/Role");
        let fields = schemas["Role"]["properties"]
            .as_object()
            .expect("Role fields");
        for field in ["id", "name", "version", "created_at"] {
            assert!(fields.contains_key(field), "Role.{field}");
        }
    })
    .await;
}
