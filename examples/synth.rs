//! Writes sparse checkpoints of real shapes for benchmarks and manual testing; the data regions are holes, so a
//! 405B-parameter checkpoint takes a few MiB of disk.
//!
//!   cargo run --release --example synth -- llama3-8b   OUT_DIR   (one file, model.safetensors)
//!   cargo run --release --example synth -- llama3-70b  OUT_DIR   (sharded at 5 GB, with index)
//!   cargo run --release --example synth -- llama31-405b OUT_DIR  (sharded at 5 GB, with index)
//!   cargo run --release --example synth -- deepseek-v3-sharded OUT_DIR   (163 FP8 shards, index, config.json)
//!   cargo run --release --example synth -- tensors N   OUT_DIR   (one file with N small F32 tensors)
//!   cargo run --release --example synth -- bytes N     OUT_DIR   (one file with N one-byte U8 tensors, short names:
//!       1,400,000 of them make a 96 MB header, near the 100 MB limit)
//!   cargo run --release --example synth -- gguf-llama3-70b OUT_DIR (one Q4_K_M-like GGUF, 128k-token tokenizer)
//!   cargo run --release --example synth -- gpt2|mixtral-8x7b|gpt-oss-20b|gpt-oss-120b|qwen3-30b-a3b|deepseek-v3
//!       |llama3-8b-gptq OUT_DIR
//!       (one file, real names, and the config.json fields paramscope reads)

use paramscope::format::synth::models::{self, Linear};
use paramscope::format::synth::moe;
use paramscope::format::synth::{write_sharded, LlamaShape, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::json;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((kind, rest @ [.., out])) = args.split_first() else {
        usage()
    };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    let shard_limit = 5_000_000_000;
    match kind.as_str() {
        "llama3-8b" => {
            let mut w = SafetensorsWriter::new().metadata("format", "pt");
            for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
                w = w.tensor(&name, DType::BF16, &shape);
            }
            w.write(&out.join("model.safetensors")).unwrap();
        }
        "llama3-70b" | "llama31-405b" => {
            let shape = if kind == "llama3-70b" {
                LlamaShape::LLAMA3_70B
            } else {
                LlamaShape::LLAMA31_405B
            };
            let shards = shape.shards(DType::BF16, shard_limit);
            write_sharded(&out, "model", &shards, serde_json::Map::new()).unwrap();
            println!("{} shards", shards.len());
        }
        "deepseek-v3-sharded" => {
            paramscope::format::synth::deepseek::write(&out).unwrap();
            let config = paramscope::format::synth::deepseek::config();
            std::fs::write(out.join("config.json"), config.to_string()).unwrap();
            println!("{} shards", paramscope::format::synth::deepseek::SHARDS);
        }
        "tensors" => {
            let n: usize = rest[0].parse().unwrap_or_else(|_| usage());
            let mut w = SafetensorsWriter::new();
            for i in 0..n {
                w = w.tensor(
                    &format!("model.layers.{}.block.{}.weight", i / 64, i % 64),
                    DType::F32,
                    &[16, 16],
                );
            }
            w.write(&out.join("model.safetensors")).unwrap();
        }
        "bytes" => {
            let n: usize = rest[0].parse().unwrap_or_else(|_| usage());
            let mut w = SafetensorsWriter::new();
            for i in 0..n {
                w = w.tensor(&format!("b.{i}"), DType::U8, &[1]);
            }
            let size = w.write(&out.join("model.safetensors")).unwrap();
            println!("{size} bytes, header {} bytes", size - n as u64 - 8);
        }
        "gguf-llama3-70b" => {
            let w = paramscope::format::synth::gguf::llama_q4_k_m(&LlamaShape::LLAMA3_70B, 280_147);
            let size = w.write(&out.join("Llama-3-70B-Q4_K_M.gguf")).unwrap();
            println!("{size} bytes, header {} bytes", w.data_start());
        }
        "gpt2" | "mixtral-8x7b" | "gpt-oss-20b" | "gpt-oss-120b" | "qwen3-30b-a3b"
        | "deepseek-v3" | "llama3-8b-gptq" => {
            let (writer, config) = match kind.as_str() {
                "gpt2" => (
                    models::gpt2(),
                    json!({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}),
                ),
                "mixtral-8x7b" => (models::mixtral_8x7b(), moe::mixtral_8x7b_config()),
                "gpt-oss-20b" => moe::gpt_oss(false),
                "gpt-oss-120b" => moe::gpt_oss(true),
                "qwen3-30b-a3b" => moe::qwen3_30b_a3b(),
                "deepseek-v3" => moe::deepseek_v3(&moe::DEEPSEEK_V3, 8, 1),
                _ => (
                    models::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Gptq { group: 128 }),
                    json!({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                           "tie_word_embeddings": false,
                           "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}),
                ),
            };
            writer.write(&out.join("model.safetensors")).unwrap();
            std::fs::write(out.join("config.json"), config.to_string()).unwrap();
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: synth (llama3-8b|llama3-70b|llama31-405b|deepseek-v3-sharded|gguf-llama3-70b|gpt2|mixtral-8x7b\
|gpt-oss-20b|gpt-oss-120b|qwen3-30b-a3b|deepseek-v3|llama3-8b-gptq) OUT_DIR | synth (tensors|bytes) N OUT_DIR"
    );
    std::process::exit(2)
}
