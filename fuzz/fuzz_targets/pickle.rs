//! The restricted pickle interpreter on arbitrary bytes: never a panic, never an allocation beyond the input's
//! claims, and whatever it builds can be walked for tensors within the walk's bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paramscope::format::torch::{objects, pickle, safety};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = pickle::read_bytes(data) {
        assert!(p.end <= data.len() as u64);
        for g in &p.globals {
            let _ = safety::verdict(&g.module, &g.name, safety::Origin::Python);
        }
        if let Some(root) = p.root {
            let _ = objects::walk(&p, root);
        }
    }
});
