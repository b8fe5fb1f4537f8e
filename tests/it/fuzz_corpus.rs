//! Replays the fuzz corpus on stable: every input committed under `fuzz/corpus/TARGET/` (the
//! minimized corpus of `cargo fuzz`, seeds included) goes through the same entry point as the
//! fuzz target (`gatehouse::fuzzing`), so CI re-checks every input the fuzzers kept; a panic
//! fails the test and names the file.

use gatehouse::fuzzing::TARGETS;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
}

#[test]
fn every_committed_fuzz_input_is_handled_without_a_panic() {
    let mut total = 0;
    for (name, run) in TARGETS {
        let dir = corpus().join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target keeps a corpus)", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.expect("corpus entry").path();
            let data = std::fs::read(&path).expect("corpus file");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", path.display());
            n += 1;
        }
        assert!(n > 0, "{name}: the corpus is empty");
        total += n;
    }
    println!("replayed {total} fuzz inputs");
}

#[test]
fn the_load_cache_seed_round_trips_through_the_fuzzed_decoder() {
    use crate::support::build;
    use gatehouse::model::{User, new_id, now};
    use gatehouse::policy::State;
    let t = now();
    let mut s = State::default();
    let u = User {
        owner: true,
        ..build::user(new_id(), "alice", t)
    };
    let r = build::role(new_id(), "viewer", t);
    s.user_roles.insert((u.id, r.id));
    s.users.insert(u.id, u);
    s.roles.insert(r.id, r);
    s.reindex();
    let bytes = gatehouse::store::sqlite::encode_untrusted_cache(&s).expect("encode");
    let back = gatehouse::store::sqlite::decode_untrusted_cache(&bytes).expect("decode");
    assert_eq!(back.users, s.users);
    assert_eq!(back.roles, s.roles);
    assert_eq!(back.user_roles, s.user_roles);
    // A cut input is refused, not a panic.
    assert!(gatehouse::store::sqlite::decode_untrusted_cache(&bytes[..bytes.len() - 1]).is_err());
    if let Some(dir) = std::env::var_os("GATEHOUSE_WRITE_FUZZ_SEEDS") {
        let path = PathBuf::from(dir).join("load_cache").join("seed-state");
        std::fs::write(path, &bytes).expect("write seed");
    }
}
