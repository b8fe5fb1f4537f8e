//! The layers stay real (docs/ARCHITECTURE.md "Layers"): reads `src/` and fails on an import
//! that a module may not make — the engine depending on storage, the console or the CLI
//! reaching into the service or the store, a cycle between top-level modules. What counts is
//! shipped code: comments, `tests*.rs` / `*_tests.rs` files and `#[cfg(test)]` items (test
//! modules and test-only functions, wherever they are) are left out (a unit test may look
//! across layers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use. A module not listed here fails the test:
/// a new one must say where it sits.
const ALLOWED: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("model", &["text"]),
    ("keys", &[]),
    ("catalog", &["model", "text"]),
    ("policy", &["model"]),
    ("engine", &["catalog", "model", "policy"]),
    ("present", &["catalog", "engine", "model", "policy", "text"]),
    (
        "backend",
        &["catalog", "engine", "model", "policy", "present", "text"],
    ),
    ("presets", &["backend", "catalog", "model"]),
    ("store", &["model", "policy"]),
    (
        "service",
        &[
            "backend", "catalog", "engine", "model", "policy", "present", "presets", "store",
            "text",
        ],
    ),
    ("wire", &["backend", "catalog", "engine", "model", "policy"]),
    (
        "connect",
        &[
            "backend", "catalog", "engine", "model", "policy", "present", "presets", "service",
            "store", "text", "wire",
        ],
    ),
    (
        "server",
        &[
            "backend", "catalog", "connect", "engine", "model", "policy", "present", "service",
            "store", "text", "wire",
        ],
    ),
    ("config", &["keys", "model", "text"]),
    (
        "tui",
        &[
            "backend", "catalog", "config", "engine", "keys", "model", "policy", "present",
            "presets", "text",
        ],
    ),
    (
        "cli",
        &[
            "backend", "catalog", "config", "connect", "engine", "keys", "model", "policy",
            "present", "presets", "server", "text", "tui", "wire",
        ],
    ),
    (
        "fuzzing",
        &[
            "backend", "catalog", "config", "connect", "engine", "keys", "model", "policy",
            "present", "presets", "service", "store", "text", "wire",
        ],
    ),
];

/// Modules the console and the CLI must never import: they talk to `Backend` only.
const BEHIND_THE_BACKEND: &[&str] = &["service", "store"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    name == "tests" || name.starts_with("tests_") || name.ends_with("_tests")
}

/// The code of a file without comments and without its `#[cfg(test)]` items (a test module,
/// inline or declared, or a test-only function), wherever they are in the file.
fn shipped_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("#[cfg(test)]") {
            skip_item(rest, &mut lines);
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        // A trailing comment: `//` after whitespace (a URL's `://` is left alone).
        let code = match line.find(" //") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Skips the item an attribute is on: its further attributes, then up to a `;` that ends it
/// (`mod tests;`) or the `}` that closes its first `{`. `first` is what follows the attribute
/// on its own line.
fn skip_item<'a>(first: &'a str, lines: &mut impl Iterator<Item = &'a str>) {
    let mut depth = 0i32;
    let mut opened = false;
    let mut line = Some(first);
    while let Some(l) = line {
        let t = l.trim();
        if !(opened || t.is_empty() || t.starts_with("#[") || t.starts_with("//")) {
            for c in t.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if (opened && depth <= 0) || (!opened && t.ends_with(';')) {
                return;
            }
        } else if opened {
            for c in t.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if depth <= 0 {
                return;
            }
        }
        line = lines.next();
    }
}

/// The top-level modules a piece of code names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '/')) {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find(';').unwrap_or(group.len());
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 && (c == ',' || c == '}') {
                    if let Some(m) = item.trim().split("::").next().filter(|m| !m.is_empty()) {
                        found.insert(m.to_string());
                    }
                    item.clear();
                } else if depth == 0 {
                    item.push(c);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

/// Top-level module → (module it uses → files that do).
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&root).expect("under src");
        let first = rel.components().next().expect("a component");
        let top = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" || is_test_file(&f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read file");
        let entry = g.entry(top.clone()).or_default();
        for used in uses(&shipped_code(&text)) {
            if used != top {
                entry
                    .entry(used)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    g
}

#[test]
fn every_import_is_one_its_layer_may_make() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, a)| (*m, a.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    for (module, used) in graph() {
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "src/{module} is a top-level module the layer table does not place; add it to \
                 ALLOWED in tests/it/layers.rs and to docs/ARCHITECTURE.md"
            ));
            continue;
        };
        for (target, files) in used {
            if !may.contains(target.as_str()) {
                let files: Vec<_> = files.into_iter().collect();
                wrong.push(format!(
                    "{module} may not use {target} (in {}); see docs/ARCHITECTURE.md",
                    files.join(", ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}

#[test]
fn the_console_and_the_cli_talk_to_the_backend_only() {
    let g = graph();
    for surface in ["tui", "cli"] {
        let used = g.get(surface).expect("the module exists");
        for hidden in BEHIND_THE_BACKEND {
            assert!(
                !used.contains_key(*hidden),
                "{surface} imports {hidden} in {:?}",
                used.get(*hidden)
            );
        }
        let table = ALLOWED.iter().find(|(m, _)| *m == surface).expect("placed");
        assert!(
            !table.1.iter().any(|m| BEHIND_THE_BACKEND.contains(m)),
            "the table itself must not allow {surface} past the backend"
        );
    }
    let engine = g.get("engine").expect("engine");
    assert!(
        !engine.contains_key("store"),
        "the engine decides from memory only"
    );
}

#[test]
fn no_cycle_between_top_level_modules() {
    let g = graph();
    // Kahn's algorithm: what is left after removing every module with no remaining uses is
    // a cycle (or depends on one).
    let mut left: BTreeMap<&str, BTreeSet<&str>> = g
        .iter()
        .map(|(m, used)| {
            let used: BTreeSet<&str> = used
                .keys()
                .map(String::as_str)
                .filter(|u| g.contains_key(*u))
                .collect();
            (m.as_str(), used)
        })
        .collect();
    loop {
        let free: Vec<&str> = left
            .iter()
            .filter(|(_, used)| used.is_empty())
            .map(|(m, _)| *m)
            .collect();
        if free.is_empty() {
            break;
        }
        for m in &free {
            left.remove(m);
        }
        for used in left.values_mut() {
            for m in &free {
                used.remove(m);
            }
        }
    }
    // Then drop what only depends on a cycle (nothing left uses it): the rest is the cycles.
    loop {
        let used: BTreeSet<&str> = left.values().flatten().copied().collect();
        let unused: Vec<&str> = left.keys().copied().filter(|m| !used.contains(m)).collect();
        if unused.is_empty() {
            break;
        }
        for m in unused {
            left.remove(m);
        }
    }
    assert!(left.is_empty(), "import cycle among: {left:?}");
}

#[test]
fn the_reader_sees_grouped_and_nested_uses() {
    let code = shipped_code(
        "use crate::{store::State, tui::{keys, app}};\n// use crate::server;\n\
         let x = crate::engine::Request::default(); // crate::wire\n\
         let u = \"http://crate::no\";\n#[cfg(test)]\nmod tests { use crate::cli; }\n\
         #[cfg(test)]\nmod fixture;\n#[cfg(test)]\n#[allow(dead_code)]\nfn helper() {\n    \
         crate::connect::x();\n}\nfn shipped() { crate::model::now(); }\n#[cfg(test)]\n\
         mod more {\n    fn f() { if x { crate::cli::run(); } }\n}\nuse crate::policy::State;\n",
    );
    let found: Vec<String> = uses(&code).into_iter().collect();
    assert_eq!(found, ["engine", "model", "policy", "store", "tui"]);
}
