//! The committed fixtures under `fixtures/`, defined in code. `tests/cli/fixtures_current.rs` checks that the
//! committed bytes equal what these definitions produce; regenerate with
//! `PARAMSCOPE_WRITE_FIXTURES=1 cargo test --test cli fixtures_current`.

use super::Lcg;
use half::bf16;
use paramscope::format::synth::{write_sharded, LlamaShape, SafetensorsWriter};
use paramscope::model::dtype::DType;
use std::fs;
use std::path::Path;

fn bf16_data(rng: &mut Lcg, n: u64, scale: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|_| bf16::from_f32(rng.next_f32(scale)).to_le_bytes())
        .collect()
}

fn f32_data(rng: &mut Lcg, n: u64, centre: f32, scale: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|_| (centre + rng.next_f32(scale)).to_le_bytes())
        .collect()
}

/// A tiny BERT (2 layers, hidden 64, vocab 512) in BF16 weights, F32 biases and norms, and the I64
/// `embeddings.position_ids` buffer that sentence-transformers checkpoints carry.
pub fn tiny_bert() -> SafetensorsWriter {
    let mut rng = Lcg(42);
    let (h, i, vocab, positions) = (64u64, 256u64, 512u64, 128u64);
    let mut w = SafetensorsWriter::new()
        .metadata("format", "pt")
        .metadata("made_by", "paramscope tests/common/fixtures.rs");
    let linear = |w: SafetensorsWriter, name: &str, out: u64, inp: u64, rng: &mut Lcg| {
        w.tensor_with_data(
            &format!("{name}.weight"),
            DType::BF16,
            &[out, inp],
            bf16_data(rng, out * inp, 0.05),
        )
        .tensor_with_data(
            &format!("{name}.bias"),
            DType::F32,
            &[out],
            f32_data(rng, out, 0.0, 0.01),
        )
    };
    let norm = |w: SafetensorsWriter, name: &str, rng: &mut Lcg| {
        w.tensor_with_data(
            &format!("{name}.weight"),
            DType::F32,
            &[h],
            f32_data(rng, h, 1.0, 0.05),
        )
        .tensor_with_data(
            &format!("{name}.bias"),
            DType::F32,
            &[h],
            f32_data(rng, h, 0.0, 0.01),
        )
    };
    w = w
        .tensor_with_data(
            "embeddings.word_embeddings.weight",
            DType::BF16,
            &[vocab, h],
            bf16_data(&mut rng, vocab * h, 0.1),
        )
        .tensor_with_data(
            "embeddings.position_embeddings.weight",
            DType::BF16,
            &[positions, h],
            bf16_data(&mut rng, positions * h, 0.1),
        )
        .tensor_with_data(
            "embeddings.token_type_embeddings.weight",
            DType::BF16,
            &[2, h],
            bf16_data(&mut rng, 2 * h, 0.1),
        );
    w = norm(w, "embeddings.LayerNorm", &mut rng);
    let ids: Vec<u8> = (0..positions as i64)
        .flat_map(|p| p.to_le_bytes())
        .collect();
    w = w.tensor_with_data("embeddings.position_ids", DType::I64, &[1, positions], ids);
    for l in 0..2 {
        let p = format!("encoder.layer.{l}");
        w = linear(w, &format!("{p}.attention.self.query"), h, h, &mut rng);
        w = linear(w, &format!("{p}.attention.self.key"), h, h, &mut rng);
        w = linear(w, &format!("{p}.attention.self.value"), h, h, &mut rng);
        w = linear(w, &format!("{p}.attention.output.dense"), h, h, &mut rng);
        w = norm(w, &format!("{p}.attention.output.LayerNorm"), &mut rng);
        w = linear(w, &format!("{p}.intermediate.dense"), i, h, &mut rng);
        w = linear(w, &format!("{p}.output.dense"), h, i, &mut rng);
        w = norm(w, &format!("{p}.output.LayerNorm"), &mut rng);
    }
    linear(w, "pooler.dense", h, h, &mut rng)
}

/// Parameters of `tiny_bert`, counted by hand from the shapes above:
/// embeddings 512·64 + 128·64 + 2·64 + LayerNorm 2·64 + position_ids 128;
/// per layer 4·(64·64+64) + 2·(2·64) + (256·64+256) + (64·256+64); pooler 64·64+64.
pub const TINY_BERT_PARAMETERS: u64 = (512 * 64 + 128 * 64 + 2 * 64 + 2 * 64 + 128)
    + 2 * (4 * (64 * 64 + 64) + 2 * (2 * 64) + (256 * 64 + 256) + (64 * 256 + 64))
    + (64 * 64 + 64);

/// A tiny Llama (2 layers, hidden 32, vocab 64) in BF16 split across three shards with an index.
pub const TINY_LLAMA: LlamaShape = LlamaShape {
    layers: 2,
    hidden: 32,
    intermediate: 64,
    heads: 4,
    kv_heads: 2,
    vocab: 64,
    tie_embeddings: false,
};

pub fn tiny_llama_shards() -> Vec<SafetensorsWriter> {
    let mut rng = Lcg(7);
    let mut shards: Vec<SafetensorsWriter> = (0..3)
        .map(|_| SafetensorsWriter::new().metadata("format", "pt"))
        .collect();
    let tensors = TINY_LLAMA.tensors();
    let per_shard = tensors.len().div_ceil(3);
    for (n, (name, shape)) in tensors.into_iter().enumerate() {
        let elements: u64 = shape.iter().product();
        let data = bf16_data(&mut rng, elements, 0.05);
        let shard = std::mem::take(&mut shards[n / per_shard]);
        shards[n / per_shard] = shard.tensor_with_data(&name, DType::BF16, &shape, data);
    }
    shards
}

/// Writes every fixture into `root` (normally the repository's `fixtures/`).
pub fn write_all(root: &Path) {
    let tiny = root.join("tiny");
    fs::create_dir_all(&tiny).unwrap();
    tiny_bert().write(&tiny.join("model.safetensors")).unwrap();

    let sharded = root.join("sharded");
    fs::create_dir_all(&sharded).unwrap();
    let mut meta = serde_json::Map::new();
    meta.insert("total_parameters".into(), TINY_LLAMA_PARAMETERS.into());
    write_sharded(&sharded, "model", &tiny_llama_shards(), meta).unwrap();

    super::fixtures_malformed::write_all(&root.join("malformed"));
    super::fixtures_gguf::write_all(&root.join("gguf"));
}

/// Parameters of the tiny Llama, by hand: embed 64·32, head 64·32, final norm 32, and per layer
/// q,o 32·32 each, k,v 16·32 each (2 KV heads of dim 8), gate/up/down 64·32 each, two norms of 32.
pub const TINY_LLAMA_PARAMETERS: u64 =
    2 * 64 * 32 + 32 + 2 * (2 * 32 * 32 + 2 * 16 * 32 + 3 * 64 * 32 + 2 * 32);
