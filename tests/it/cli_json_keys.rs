//! The conventions of the CLI's JSON contract (docs/json.md), checked on the schemas in
//! docs/schemas/ themselves: one key, one JSON type in every output; an integer key is a
//! count named `*_count` unless it is a number that counts nothing (a revision, a version…).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Integer keys that are not counts: revision numbers, versions, a line number, flag values.
const NOT_COUNTS: &[&str] = &["revision", "version", "line", "value", "deny_value"];

/// The JSON types a property schema allows (`null` aside; `{}`, any, allows nothing named).
fn types(p: &Value, defs: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = p["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        return types(&defs[name], defs, out);
    }
    if let Some(any) = p["anyOf"].as_array() {
        return any.iter().for_each(|a| types(a, defs, out));
    }
    if let Some(values) = p["enum"].as_array() {
        out.extend(values.iter().map(|v| kind(v).to_string()));
    } else if let Some(t) = p["type"].as_str() {
        out.insert(t.to_string());
    }
    out.remove("null");
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Records every property of every object schema under `v`: key → (type → where).
fn walk(v: &Value, defs: &Value, at: &str, seen: &mut BTreeMap<String, BTreeMap<String, String>>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                for (k, p) in props {
                    let mut t = BTreeSet::new();
                    types(p, defs, &mut t);
                    for t in t {
                        seen.entry(k.clone())
                            .or_default()
                            .entry(t)
                            .or_insert(at.into());
                    }
                }
            }
            m.iter()
                .filter(|(k, _)| k.as_str() != "$defs")
                .for_each(|(_, x)| walk(x, defs, at, seen));
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, defs, at, seen)),
        _ => {}
    }
}

fn all_keys() -> BTreeMap<String, BTreeMap<String, String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let mut seen = BTreeMap::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("docs/schemas") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read schema");
        let doc: Value = serde_json::from_str(&text).expect("schema is JSON");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        walk(&doc, &doc["$defs"], name, &mut seen);
        walk(&doc["$defs"], &doc["$defs"], name, &mut seen);
        files += 1;
    }
    assert!(files > 30, "only {files} schemas in {}", dir.display());
    seen
}

#[test]
fn every_key_has_one_json_type_in_every_output() {
    let seen = all_keys();
    assert!(seen.len() > 100, "{}", seen.len());
    let mixed: Vec<String> = seen
        .iter()
        .filter(|(_, t)| t.len() > 1)
        .map(|(k, t)| format!("{k}: {t:?}"))
        .collect();
    assert!(
        mixed.is_empty(),
        "keys with several types:\n{}",
        mixed.join("\n")
    );
}

#[test]
fn every_integer_key_is_a_count_named_so_or_a_known_number() {
    let seen = all_keys();
    let odd: Vec<&String> = seen
        .iter()
        .filter(|(k, t)| {
            t.contains_key("integer") && !k.ends_with("_count") && !NOT_COUNTS.contains(&k.as_str())
        })
        .map(|(k, _)| k)
        .collect();
    assert!(odd.is_empty(), "integer keys not named *_count: {odd:?}");
}
