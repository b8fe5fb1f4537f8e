use super::*;
use proptest::prelude::*;

fn one(line: &str) -> Assertion {
    match parse_line(line) {
        Ok(Some(a)) => a,
        other => panic!("{line:?}: {other:?}"),
    }
}

fn error(line: &str) -> (usize, String) {
    match parse_line(line) {
        Err(e) => e,
        other => panic!("{line:?} parsed: {other:?}"),
    }
}

#[test]
fn the_two_forms_comments_and_blank_lines() {
    let text =
        "# expected decisions\n\nalice may UPDATE Pipeline/x\n  bob MAY NOT DELETE Secret  # no\n";
    let found = parse(text).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, 3);
    assert_eq!(
        found[0].1,
        Assertion {
            user: "alice".into(),
            allowed: true,
            action: "UPDATE".into(),
            target: "Pipeline/x".into(),
            ..Default::default()
        }
    );
    assert_eq!(found[1].0, 4);
    assert!(!found[1].1.allowed);
    assert_eq!(found[1].1.user, "bob");
    assert_eq!(found[1].1.target, "Secret");
}

#[test]
fn options_are_checks_options() {
    let a = one("carol may read okdata:dataset:ds1 --owner dave --team ops --catalog okdata");
    assert_eq!(a.context.owner.as_deref(), Some("dave"));
    assert_eq!(a.context.team.as_deref(), Some("ops"));
    assert_eq!(a.context.catalog.as_deref(), Some("okdata"));
    let a = one("bob may UPDATE Pipeline --write name --operation-only");
    assert_eq!(a.options.write.as_deref(), Some("name"));
    assert!(a.options.operation_only);
    let a = one("bob may CREATE Pipeline --payload name,type --query-keys api_key");
    assert_eq!(
        a.options.payload,
        Some(vec!["name".to_string(), "type".to_string()])
    );
    assert_eq!(a.options.query_keys, Some(vec!["api_key".to_string()]));
}

#[test]
fn quoted_words_hold_spaces_and_escapes() {
    let a = one(r#""Ann Lee" may "not" "a \"b\" \\ c""#);
    assert_eq!(a.user, "Ann Lee");
    assert!(a.allowed, "a quoted not is the action");
    assert_eq!(a.action, "not");
    assert_eq!(a.target, r#"a "b" \ c"#);
    let a = one("x may read \"#tag\"");
    assert_eq!(a.target, "#tag");
}

#[test]
fn errors_name_the_column_and_what_was_expected() {
    let (col, msg) = error("alice can UPDATE Pipeline");
    assert_eq!(col, 7);
    assert!(
        msg.contains("expected 'may'") && msg.contains("'can'"),
        "{msg}"
    );
    let (col, msg) = error("alice");
    assert_eq!(col, 6);
    assert!(msg.contains("'may'"), "{msg}");
    let (col, msg) = error("alice may not");
    assert_eq!(col, 14);
    assert!(msg.contains("expected an action"), "{msg}");
    let (col, msg) = error("alice may UPDATE  # no target");
    assert_eq!(col, 17, "just after the last word");
    assert!(msg.contains("expected a target"), "{msg}");
    let (col, msg) = error("alice may UPDATE Pipeline --bogus 1");
    assert_eq!(col, 27);
    assert!(msg.contains("--bogus"), "{msg}");
    let (col, msg) = error("alice may UPDATE Pipeline --explain");
    assert_eq!(col, 27);
    assert!(msg.contains("--explain"), "{msg}");
    let (col, msg) = error("alice may UPDATE Pipeline --read a --write b");
    assert_eq!(col, 27);
    assert!(msg.contains("cannot be used with"), "{msg}");
    let (col, msg) = error("alice may UPDATE Pipeline stray");
    assert_eq!(col, 27);
    assert!(msg.contains("stray"), "{msg}");
    let (col, msg) = error("é may \"UPDATE");
    assert_eq!(col, 7, "columns count characters");
    assert!(msg.contains("never closed"), "{msg}");
    let (col, msg) = error(r#"a may "x\n" T"#);
    assert_eq!(col, 9);
    assert!(msg.contains("escape"), "{msg}");
    let (col, msg) = error(r#"a may "x"y T"#);
    assert_eq!(col, 10);
    assert!(msg.contains("closing quote"), "{msg}");
}

#[test]
fn every_error_of_a_file_is_reported_with_its_line() {
    let errs = parse("ok may LIST Pipeline\nbad\n\nalso bad here\n").unwrap_err();
    let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn a_value_starting_with_a_dash_is_written_with_equals() {
    let a = Assertion {
        user: "u".into(),
        allowed: true,
        action: "READ".into(),
        target: "Pipeline".into(),
        options: CheckOptions {
            read: Some("-x y".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let line = a.to_string();
    assert_eq!(line, r#"u may READ Pipeline "--read=-x y""#);
    assert_eq!(one(&line), a);
}

/// Words of any text but line breaks (the format is one line), some of it awkward.
fn text() -> impl Strategy<Value = String> {
    "([a-zA-Z0-9_:/.\\-]|[ \t\"\\\\#,é\u{3000}]){0,10}"
}

/// Call keys: no commas (they separate keys) and not empty.
fn keys() -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(proptest::collection::vec(
        "[a-zA-Z0-9_ \"#]{1,6}".prop_filter("not only spaces", |k| !k.trim().is_empty()),
        1..4,
    ))
}

fn assertion() -> impl Strategy<Value = Assertion> {
    let context = (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(catalog, owner, team)| RequestContext {
            catalog,
            owner,
            team,
        });
    // At most one attribute; the call keys only without attribute and operation-only.
    let options = (0..4usize, text(), any::<bool>(), keys(), keys()).prop_map(
        |(which, attr, operation_only, payload, query_keys)| {
            let mut o = CheckOptions::default();
            match which {
                1 => o.read = Some(attr),
                2 => o.write = Some(attr),
                3 => o.query = Some(attr),
                _ => {}
            }
            if which != 0 || operation_only {
                o.operation_only = operation_only;
            } else {
                o.payload = payload;
                o.query_keys = query_keys;
            }
            o
        },
    );
    (text(), any::<bool>(), text(), text(), context, options).prop_map(
        |(user, allowed, action, target, context, options)| Assertion {
            user,
            allowed,
            action,
            target,
            context,
            options,
        },
    )
}

proptest! {
    #[test]
    fn printing_then_parsing_round_trips(a in assertion()) {
        let line = a.to_string();
        prop_assert!(!line.contains('\n'));
        let back = parse_line(&line);
        prop_assert_eq!(back, Ok(Some(a)), "line: {}", line);
    }
}
