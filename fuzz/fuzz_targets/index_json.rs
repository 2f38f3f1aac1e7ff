//! The sharded-checkpoint index parser on arbitrary bytes: must never panic, and shard names it accepts as
//! contained must not climb out of the folder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paramscope::format::sharded::index;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = index::parse(data, Path::new("model.safetensors.index.json")) {
        for shard in idx.shards() {
            if index::shard_name_is_contained(shard) {
                assert!(!Path::new(shard).is_absolute());
                assert!(!shard.split(['/', '\\']).any(|c| c == ".."));
            }
        }
    }
});
