//! The safetensors reader on arbitrary bytes: header length checks, JSON parsing, validation. Must never panic;
//! when it accepts a file, the figures must describe that file exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = paramscope::format::safetensors::read_bytes(data, Path::new("fuzz.safetensors")) {
        let bytes: u64 = parsed.tensors.iter().map(|t| t.bytes()).sum();
        assert_eq!(parsed.info.header_bytes + bytes, data.len() as u64);
        for t in &parsed.tensors {
            assert_eq!(t.dtype.bytes_for(t.elements()), Ok(t.bytes()));
        }
    }
});
