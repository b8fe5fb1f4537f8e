#![no_main]
// See gatehouse::fuzzing::load_cache.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::load_cache(data));
