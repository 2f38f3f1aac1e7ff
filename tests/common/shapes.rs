//! Checkpoints in the shapes of real models, with their real tensor names, for the grouping and semantics tests.
//! Data are holes (sparse files), so full-size shapes cost no disk.

use paramscope::dtype::DType;
use paramscope::synth::SafetensorsWriter;
use std::path::Path;

/// openai-community/gpt2's model.safetensors: 12 blocks, hidden 768, vocab 50257, 1024 positions, F32, each block
/// storing its causal mask `h.N.attn.bias` [1,1,1024,1024]. Names in the reference writer's order (sorted).
pub fn gpt2() -> SafetensorsWriter {
    let (h, vocab, positions) = (768u64, 50257u64, 1024u64);
    let mut tensors: Vec<(String, Vec<u64>)> = vec![
        ("wte.weight".into(), vec![vocab, h]),
        ("wpe.weight".into(), vec![positions, h]),
        ("ln_f.weight".into(), vec![h]),
        ("ln_f.bias".into(), vec![h]),
    ];
    for l in 0..12 {
        let p = format!("h.{l}");
        for (name, shape) in [
            ("ln_1.weight", vec![h]),
            ("ln_1.bias", vec![h]),
            ("attn.bias", vec![1, 1, positions, positions]),
            ("attn.c_attn.weight", vec![h, 3 * h]),
            ("attn.c_attn.bias", vec![3 * h]),
            ("attn.c_proj.weight", vec![h, h]),
            ("attn.c_proj.bias", vec![h]),
            ("ln_2.weight", vec![h]),
            ("ln_2.bias", vec![h]),
            ("mlp.c_fc.weight", vec![h, 4 * h]),
            ("mlp.c_fc.bias", vec![4 * h]),
            ("mlp.c_proj.weight", vec![4 * h, h]),
            ("mlp.c_proj.bias", vec![h]),
        ] {
            tensors.push((format!("{p}.{name}"), shape));
        }
    }
    tensors.sort();
    let mut w = SafetensorsWriter::new().metadata("format", "pt");
    for (name, shape) in tensors {
        w = w.tensor(&name, DType::F32, &shape);
    }
    w
}

pub fn write_config(dir: &Path, json: serde_json::Value) {
    std::fs::write(dir.join("config.json"), json.to_string()).unwrap();
}
