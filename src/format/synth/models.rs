//! Checkpoints in the shapes of real models with their real tensor names (GPT-2, Mixtral, gpt-oss, DeepSeek-V3
//! style, GPTQ/AWQ/bitsandbytes Llamas), for tests and the examples in README.md and docs/. Data are holes when written, so
//! full-size shapes cost no disk.

use super::{LlamaShape, SafetensorsWriter};
use crate::model::dtype::DType;

/// openai-community/gpt2's model.safetensors: 12 blocks, hidden 768, vocab 50257, 1024 positions, F32, each block
/// storing its causal mask `h.N.attn.bias` `[1,1,1024,1024]`. Names in the reference writer's order (sorted).
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

/// The linear layers of a Llama-style decoder block as (name, out, in), in the order transformers saves them.
pub fn llama_linears(s: &LlamaShape, layer: u64) -> Vec<(String, u64, u64)> {
    let kv = s.kv_heads * (s.hidden / s.heads);
    let (h, i) = (s.hidden, s.intermediate);
    let p = format!("model.layers.{layer}");
    vec![
        (format!("{p}.mlp.down_proj"), h, i),
        (format!("{p}.mlp.gate_proj"), i, h),
        (format!("{p}.mlp.up_proj"), i, h),
        (format!("{p}.self_attn.k_proj"), kv, h),
        (format!("{p}.self_attn.o_proj"), h, h),
        (format!("{p}.self_attn.q_proj"), h, h),
        (format!("{p}.self_attn.v_proj"), kv, h),
    ]
}

/// How a Llama-style checkpoint stores each linear layer's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linear {
    /// GPTQ (AutoGPTQ / TheBloke): `qweight` I32 `[in/8, out]`, `qzeros` I32 `[in/g, out/8]`, `scales` F16
    /// `[in/g, out]`, `g_idx` I32 `[in]`.
    Gptq {
        /// Input features per quantization group (`group_size`, e.g. 128).
        group: u64,
    },
    /// AWQ GEMM: `qweight` I32 `[in, out/8]`, `qzeros` I32 `[in/g, out/8]`, `scales` F16 `[in/g, out]`.
    Awq {
        /// Input features per quantization group (`group_size`, e.g. 128).
        group: u64,
    },
    /// bitsandbytes NF4 with nested (double) quantization, blocks of 64: `weight` U8 `[out·in/2, 1]`, `absmax` U8
    /// `[out·in/64]`, `quant_map` F32 `[16]`, `nested_absmax` F32 `[⌈out·in/64/256⌉]`, `nested_quant_map` F32
    /// `[256]`, `quant_state.bitsandbytes__nf4` U8 (the serialised state; its length here is illustrative).
    Bnb4,
}

/// A Llama-style checkpoint in one sparse file with quantized linear layers; embeddings, norms and head in F16
/// (GPTQ/AWQ) or BF16 (bitsandbytes), as the quantizers leave them.
pub fn quantized_llama(s: &LlamaShape, linear: Linear) -> SafetensorsWriter {
    let float = if linear == Linear::Bnb4 {
        DType::BF16
    } else {
        DType::F16
    };
    let mut w = SafetensorsWriter::new().metadata("format", "pt").tensor(
        "model.embed_tokens.weight",
        float,
        &[s.vocab, s.hidden],
    );
    for l in 0..s.layers {
        let p = format!("model.layers.{l}");
        w = w
            .tensor(&format!("{p}.input_layernorm.weight"), float, &[s.hidden])
            .tensor(
                &format!("{p}.post_attention_layernorm.weight"),
                float,
                &[s.hidden],
            );
        for (name, out, inp) in llama_linears(s, l) {
            w = match linear {
                Linear::Gptq { group } => w
                    .tensor(&format!("{name}.qweight"), DType::I32, &[inp / 8, out])
                    .tensor(
                        &format!("{name}.qzeros"),
                        DType::I32,
                        &[inp / group, out / 8],
                    )
                    .tensor(&format!("{name}.scales"), DType::F16, &[inp / group, out])
                    .tensor(&format!("{name}.g_idx"), DType::I32, &[inp]),
                Linear::Awq { group } => w
                    .tensor(&format!("{name}.qweight"), DType::I32, &[inp, out / 8])
                    .tensor(
                        &format!("{name}.qzeros"),
                        DType::I32,
                        &[inp / group, out / 8],
                    )
                    .tensor(&format!("{name}.scales"), DType::F16, &[inp / group, out]),
                Linear::Bnb4 => {
                    let n = out * inp;
                    w.tensor(&format!("{name}.weight"), DType::U8, &[n / 2, 1])
                        .tensor(&format!("{name}.weight.absmax"), DType::U8, &[n / 64])
                        .tensor(
                            &format!("{name}.weight.nested_absmax"),
                            DType::F32,
                            &[n / 64 / 256],
                        )
                        .tensor(
                            &format!("{name}.weight.nested_quant_map"),
                            DType::F32,
                            &[256],
                        )
                        .tensor(&format!("{name}.weight.quant_map"), DType::F32, &[16])
                        .tensor(
                            &format!("{name}.weight.quant_state.bitsandbytes__nf4"),
                            DType::U8,
                            &[96],
                        )
                }
            };
        }
    }
    w.tensor("model.norm.weight", float, &[s.hidden]).tensor(
        "lm_head.weight",
        float,
        &[s.vocab, s.hidden],
    )
}

/// mistralai/Mixtral-8x7B-v0.1's names and shapes: 32 layers, 8 experts (`block_sparse_moe.experts.E.w1/w2/w3`)
/// and a router (`block_sparse_moe.gate`), hidden 4096, expert width 14336, 8 KV heads, vocab 32000.
pub fn mixtral_8x7b() -> SafetensorsWriter {
    let mut w = SafetensorsWriter::new().metadata("format", "pt");
    for (name, shape) in mixtral_8x7b_tensors() {
        w = w.tensor(&name, DType::BF16, &shape);
    }
    w
}

fn mixtral_8x7b_tensors() -> Vec<(String, Vec<u64>)> {
    let (h, i, kv, vocab) = (4096u64, 14336u64, 1024u64, 32000u64);
    let mut out = vec![("model.embed_tokens.weight".to_string(), vec![vocab, h])];
    for l in 0..32 {
        let p = format!("model.layers.{l}");
        out.push((format!("{p}.block_sparse_moe.gate.weight"), vec![8, h]));
        for e in 0..8 {
            let x = format!("{p}.block_sparse_moe.experts.{e}");
            out.push((format!("{x}.w1.weight"), vec![i, h]));
            out.push((format!("{x}.w2.weight"), vec![h, i]));
            out.push((format!("{x}.w3.weight"), vec![i, h]));
        }
        out.push((format!("{p}.input_layernorm.weight"), vec![h]));
        out.push((format!("{p}.post_attention_layernorm.weight"), vec![h]));
        out.push((format!("{p}.self_attn.k_proj.weight"), vec![kv, h]));
        out.push((format!("{p}.self_attn.o_proj.weight"), vec![h, h]));
        out.push((format!("{p}.self_attn.q_proj.weight"), vec![h, h]));
        out.push((format!("{p}.self_attn.v_proj.weight"), vec![kv, h]));
    }
    out.push(("model.norm.weight".to_string(), vec![h]));
    out.push(("lm_head.weight".to_string(), vec![vocab, h]));
    out
}

/// openai/gpt-oss-20b's names, shapes and dtypes: 24 layers, hidden 2880, 64 query / 8 KV heads of 64, 32
/// experts whose `gate_up_proj` and `down_proj` are MXFP4 (`*_blocks` U8 [E, out, in/32, 16] holding two 4-bit
/// values per byte, `*_scales` U8 [E, out, in/32] E8M0 exponents), attention sinks, vocab 201088, untied head.
pub fn gpt_oss_20b() -> SafetensorsWriter {
    gpt_oss(24, 32)
}

/// gpt-oss's names, shapes and dtypes with `layers` layers of `e` experts (20b: 24 × 32; 120b: 36 × 128, as
/// openai/gpt-oss-120b's config.json gives them); everything else as in [`gpt_oss_20b`].
pub fn gpt_oss(layers: u64, e: u64) -> SafetensorsWriter {
    let (h, vocab) = (2880u64, 201088u64);
    let (q, kv) = (64 * 64u64, 8 * 64u64);
    let mut w = SafetensorsWriter::new().metadata("format", "pt").tensor(
        "model.embed_tokens.weight",
        DType::BF16,
        &[vocab, h],
    );
    for l in 0..layers {
        let p = format!("model.layers.{l}");
        let bf = |w: SafetensorsWriter, name: &str, shape: &[u64]| {
            w.tensor(&format!("{p}.{name}"), DType::BF16, shape)
        };
        w = bf(w, "input_layernorm.weight", &[h]);
        w = bf(w, "mlp.experts.down_proj_bias", &[e, h]);
        w = w
            .tensor(
                &format!("{p}.mlp.experts.down_proj_blocks"),
                DType::U8,
                &[e, h, h / 32, 16],
            )
            .tensor(
                &format!("{p}.mlp.experts.down_proj_scales"),
                DType::U8,
                &[e, h, h / 32],
            );
        w = bf(w, "mlp.experts.gate_up_proj_bias", &[e, 2 * h]);
        w = w
            .tensor(
                &format!("{p}.mlp.experts.gate_up_proj_blocks"),
                DType::U8,
                &[e, 2 * h, h / 32, 16],
            )
            .tensor(
                &format!("{p}.mlp.experts.gate_up_proj_scales"),
                DType::U8,
                &[e, 2 * h, h / 32],
            );
        w = bf(w, "mlp.router.bias", &[e]);
        w = bf(w, "mlp.router.weight", &[e, h]);
        w = bf(w, "post_attention_layernorm.weight", &[h]);
        w = bf(w, "self_attn.k_proj.bias", &[kv]);
        w = bf(w, "self_attn.k_proj.weight", &[kv, h]);
        w = bf(w, "self_attn.o_proj.bias", &[h]);
        w = bf(w, "self_attn.o_proj.weight", &[h, q]);
        w = bf(w, "self_attn.q_proj.bias", &[q]);
        w = bf(w, "self_attn.q_proj.weight", &[q, h]);
        w = bf(w, "self_attn.sinks", &[64]);
        w = bf(w, "self_attn.v_proj.bias", &[kv]);
        w = bf(w, "self_attn.v_proj.weight", &[kv, h]);
    }
    w.tensor("model.norm.weight", DType::BF16, &[h]).tensor(
        "lm_head.weight",
        DType::BF16,
        &[vocab, h],
    )
}

/// Dimensions of a small DeepSeek-V3-style model: MLA attention, `first_dense` dense layers then MoE layers with
/// routed experts, one shared expert and a router with `e_score_correction_bias`.
#[derive(Debug, Clone, Copy)]
pub struct DeepSeekShape {
    /// Decoder layers (`num_hidden_layers`).
    pub layers: u64,
    /// How many of the first layers have a dense MLP instead of experts (`first_k_dense_replace`).
    pub first_dense: u64,
    /// Hidden size (`hidden_size`).
    pub hidden: u64,
    /// Dense MLP inner size (`intermediate_size`).
    pub dense_intermediate: u64,
    /// Each expert's inner size (`moe_intermediate_size`).
    pub expert_intermediate: u64,
    /// Routed experts per MoE layer (`n_routed_experts`).
    pub experts: u64,
    /// Attention heads (`num_attention_heads`).
    pub heads: u64,
    /// Rank of the compressed query (`q_lora_rank`).
    pub q_lora: u64,
    /// Rank of the compressed key/value (`kv_lora_rank`).
    pub kv_lora: u64,
    /// Per-head query/key size without rotary embedding (`qk_nope_head_dim`).
    pub qk_nope: u64,
    /// Per-head query/key size with rotary embedding (`qk_rope_head_dim`).
    pub qk_rope: u64,
    /// Per-head value size (`v_head_dim`).
    pub v_head: u64,
    /// Vocabulary size (`vocab_size`).
    pub vocab: u64,
}

impl DeepSeekShape {
    /// Every linear layer as (name, out, in) for layer `l`, with DeepSeek-V3's names.
    pub fn linears(&self, l: u64) -> Vec<(String, u64, u64)> {
        let p = format!("model.layers.{l}");
        let h = self.hidden;
        let mut v = vec![
            (format!("{p}.self_attn.q_a_proj"), self.q_lora, h),
            (
                format!("{p}.self_attn.q_b_proj"),
                self.heads * (self.qk_nope + self.qk_rope),
                self.q_lora,
            ),
            (
                format!("{p}.self_attn.kv_a_proj_with_mqa"),
                self.kv_lora + self.qk_rope,
                h,
            ),
            (
                format!("{p}.self_attn.kv_b_proj"),
                self.heads * (self.qk_nope + self.v_head),
                self.kv_lora,
            ),
            (format!("{p}.self_attn.o_proj"), h, self.heads * self.v_head),
        ];
        let mlp = |v: &mut Vec<(String, u64, u64)>, prefix: String, i: u64| {
            v.push((format!("{prefix}.gate_proj"), i, h));
            v.push((format!("{prefix}.up_proj"), i, h));
            v.push((format!("{prefix}.down_proj"), h, i));
        };
        if l < self.first_dense {
            mlp(&mut v, format!("{p}.mlp"), self.dense_intermediate);
        } else {
            for e in 0..self.experts {
                mlp(
                    &mut v,
                    format!("{p}.mlp.experts.{e}"),
                    self.expert_intermediate,
                );
            }
            mlp(
                &mut v,
                format!("{p}.mlp.shared_experts"),
                self.expert_intermediate,
            );
        }
        v
    }

    /// Norms and router tensors of layer `l` (BF16, F32 for the correction bias).
    pub fn others(&self, l: u64) -> Vec<(String, DType, Vec<u64>)> {
        let p = format!("model.layers.{l}");
        let mut v = vec![
            (
                format!("{p}.input_layernorm.weight"),
                DType::BF16,
                vec![self.hidden],
            ),
            (
                format!("{p}.post_attention_layernorm.weight"),
                DType::BF16,
                vec![self.hidden],
            ),
            (
                format!("{p}.self_attn.q_a_layernorm.weight"),
                DType::BF16,
                vec![self.q_lora],
            ),
            (
                format!("{p}.self_attn.kv_a_layernorm.weight"),
                DType::BF16,
                vec![self.kv_lora],
            ),
        ];
        if l >= self.first_dense {
            v.push((
                format!("{p}.mlp.gate.weight"),
                DType::BF16,
                vec![self.experts, self.hidden],
            ));
            v.push((
                format!("{p}.mlp.gate.e_score_correction_bias"),
                DType::F32,
                vec![self.experts],
            ));
        }
        v
    }

    /// The FP8 checkpoint DeepSeek-V3 publishes: linear weights F8_E4M3 with an F32 `weight_scale_inv` per
    /// 128×128 block; embeddings, norms, router and head in BF16.
    pub fn fp8(&self) -> SafetensorsWriter {
        let blocks = |n: u64| n.div_ceil(128);
        let mut w = SafetensorsWriter::new().metadata("format", "pt").tensor(
            "model.embed_tokens.weight",
            DType::BF16,
            &[self.vocab, self.hidden],
        );
        for l in 0..self.layers {
            for (name, dtype, shape) in self.others(l) {
                w = w.tensor(&name, dtype, &shape);
            }
            for (name, out, inp) in self.linears(l) {
                w = w
                    .tensor(&format!("{name}.weight"), DType::F8_E4M3, &[out, inp])
                    .tensor(
                        &format!("{name}.weight_scale_inv"),
                        DType::F32,
                        &[blocks(out), blocks(inp)],
                    );
            }
        }
        w.tensor("model.norm.weight", DType::BF16, &[self.hidden])
            .tensor("lm_head.weight", DType::BF16, &[self.vocab, self.hidden])
    }
}
