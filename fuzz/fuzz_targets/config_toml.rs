#![no_main]
// See gatehouse::fuzzing::config_toml.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::config_toml(data));
