//! The GGUF reader on arbitrary bytes: counts, lengths, value types, tensor infos, placement. Must never panic
//! nor allocate beyond the input; when it accepts a file, every tensor must lie inside it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paramscope::model::metadata::MetadataDetail;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.gguf");
    if let Ok(parsed) = paramscope::format::gguf::read_bytes(data, path, MetadataDetail::Summary) {
        for t in &parsed.tensors {
            assert!(parsed.info.header_bytes + t.data_offsets[1] <= data.len() as u64);
            assert_eq!(t.dtype.bytes_for(t.elements()), Ok(t.bytes()));
        }
    }
});
