#![no_main]
// See gatehouse::fuzzing::key_strings.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::key_strings(data));
