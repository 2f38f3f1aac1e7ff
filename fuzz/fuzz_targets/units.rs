//! The `check` units parser on arbitrary text: must never panic, and any figure it accepts reads back the same
//! when written as a plain integer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paramscope::model::quantity::{parse_bytes, parse_count};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(n) = parse_count(text) {
        assert_eq!(parse_count(&n.to_string()), Ok(n));
    }
    if let Ok(n) = parse_bytes(text) {
        assert_eq!(parse_bytes(&n.to_string()), Ok(n));
    }
});
