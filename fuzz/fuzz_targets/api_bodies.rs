#![no_main]
// See gatehouse::fuzzing::api_bodies.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::api_bodies(data));
