#![no_main]
// See gatehouse::fuzzing::policy_toml.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::policy_toml(data));
