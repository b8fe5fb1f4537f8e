#![no_main]
// See gatehouse::fuzzing::policy_json.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::policy_json(data));
