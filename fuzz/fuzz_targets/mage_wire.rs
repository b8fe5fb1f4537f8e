#![no_main]
// See gatehouse::fuzzing::mage_wire.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse::fuzzing::mage_wire(data));
