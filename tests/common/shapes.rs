//! Helpers for the tests on model-shaped checkpoints (the shapes themselves are in `paramscope::format::synth::models`).

use std::path::Path;

pub fn write_config(dir: &Path, json: serde_json::Value) {
    std::fs::write(dir.join("config.json"), json.to_string()).unwrap();
}
