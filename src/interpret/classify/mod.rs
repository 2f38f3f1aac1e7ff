//! What each tensor is: a trained weight, a buffer that is not a parameter, a quantization auxiliary, or packed
//! low-bit weights — by explicit rules, each with a stable id shown in the JSON and by `--explain`.
//!
//! Rules match dot-separated name COMPONENTS, never suffixes: GPT-2's `h.0.attn.bias` `[1, 1, 1024, 1024]` is a causal
//! mask while `h.0.attn.c_attn.bias` is a parameter (docs/FORMATS.md §5). The quantization rules follow the Hub's
//! quantization-aware counter: packed weights count the weights they hold, auxiliaries count nothing.

mod patterns;

use crate::each;
use crate::interpret::hf_config::ModelConfig;
use crate::interpret::role::{self, Role};
use crate::model::checkpoint::Tensor;
use crate::model::dtype::DType;
use patterns::{Known, Patterns};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a tensor is, for the honest counts: a weight, a buffer, a quantization auxiliary or packed weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// A trained parameter.
    Weight,
    /// State saved with the model that is not a parameter (masks, position ids, rotary frequencies).
    Buffer,
    /// Quantization scales, zero points, group indices: needed to use packed weights, not weights themselves.
    QuantAux,
    /// Several low-bit weights packed per stored element.
    QuantPacked,
}

impl Class {
    /// Every class, in the order reports list them.
    pub const ALL: [Class; 4] = [
        Class::Weight,
        Class::Buffer,
        Class::QuantAux,
        Class::QuantPacked,
    ];

    /// The class's name in the JSON (`weight`, `buffer`, `quant_aux`, `quant_packed`).
    pub fn name(self) -> &'static str {
        match self {
            Class::Weight => "weight",
            Class::Buffer => "buffer",
            Class::QuantAux => "quant_aux",
            Class::QuantPacked => "quant_packed",
        }
    }
}

/// A classification rule: its stable id, the class it assigns, and why it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    /// The stable id reports name the rule by (`buffer.attention_mask`).
    pub id: &'static str,
    /// The class the rule assigns.
    pub class: Class,
    /// What the rule matches and why, in words.
    pub description: &'static str,
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id)
    }
}

macro_rules! rules {
    ($($name:ident = $id:literal, $class:ident, $desc:literal;)*) => {
        $(#[doc = $desc]
        pub const $name: Rule = Rule {
            id: $id,
            class: Class::$class,
            description: $desc,
        };)*
        /// Every rule, in the order they are tried.
        pub const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    ATTENTION_MASK = "buffer.attention_mask", Buffer,
        "`attn.bias` / `attention.bias` with 2+ dims, or `masked_bias`: GPT-2/GPT-NeoX causal masks";
    POSITION_IDS = "buffer.position_ids", Buffer,
        "a `position_ids` or `token_type_ids` component: index tensors saved with BERT-style embeddings";
    ROTARY = "buffer.rotary", Buffer,
        "`inv_freq` or GGUF `rope_freqs`: rotary frequencies computed from the config";
    NORM_STATS = "buffer.norm_statistics", Buffer,
        "`running_mean`, `running_var`, `num_batches_tracked`: batch-norm statistics";
    E8M0 = "quant_aux.e8m0_dtype", QuantAux,
        "dtype F8_E8M0 (exponent only): microscaling block scales";
    AUX_NAME = "quant_aux.name", QuantAux,
        "`scales`, `qzeros`, `g_idx`, `weight_scale(_inv)`, `weight_scale_2`, `weight_global_scale`, `input_global_scale`, `input_scale`, `output_scale`, `k_scale`, `v_scale`, `*_zero_point`, `weight_shape`, `weight_g_idx`, `weight_format`, `absmax`, `quant_map`, `nested_*`, `quant_state`, `SCB`, `*_scales`";
    SIBLING_SCALE = "quant_aux.sibling_scale", QuantAux,
        "a `scale` next to an integer or FP8 `weight`/`qweight` of the same module";
    QWEIGHT_CONFIG = "quant_packed.qweight_config_bits", QuantPacked,
        "GPTQ/AWQ `qweight`: counts container bits / `quantization_config.bits` weights per element";
    QWEIGHT_INFERRED = "quant_packed.qweight_inferred_bits", QuantPacked,
        "GPTQ/AWQ `qweight` without a config: bits from `scales` vs `qzeros` (or `g_idx`) shapes";
    QWEIGHT_UNKNOWN = "quant_packed.qweight_unknown_bits", QuantPacked,
        "`qweight` whose bit width neither the config nor the shapes give: counted one per element";
    QWEIGHT_BYTE = "quant_packed.qweight_8bit", QuantPacked,
        "`qweight` stored as I8/U8: one weight per element";
    CT_PACKED = "quant_packed.compressed_tensors", QuantPacked,
        "compressed-tensors `weight_packed`: container bits / `num_bits` weights per element";
    CT_UNKNOWN = "quant_packed.compressed_tensors_unknown_bits", QuantPacked,
        "`weight_packed` without `num_bits` in the config: counted one per element";
    BNB_4BIT = "quant_packed.bnb_4bit", QuantPacked,
        "U8 `weight` with a bitsandbytes `absmax` or `quant_state` beside it: two 4-bit weights per byte";
    MXFP4_BLOCKS = "quant_packed.mxfp4_blocks", QuantPacked,
        "U8 `*_blocks` (gpt-oss MXFP4): two 4-bit weights per byte";
    NVFP4 = "quant_packed.nvfp4", QuantPacked,
        "U8 `weight` with an FP8 `weight_scale` or a `weight_scale_2` beside it (NVIDIA ModelOpt NVFP4): two 4-bit weights per byte";
    TIED_DUPLICATE = "weight.tied_duplicate", Weight,
        "output head stored although config.json ties it to the input embeddings: counted once, there";
    WEIGHT = "weight.default", Weight,
        "everything no rule above matched";
}

/// One tensor's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// The classification rule that matched (one of [`RULES`]; a reference, so a tensor's classification is 40
    /// bytes, not 72: 1.4M of them were 100 MB).
    pub rule: &'static Rule,
    /// The role the tensor's name gives.
    pub role: Role,
    /// The id of the role rule that gave `role`.
    pub role_rule: &'static str,
    /// Elements of the dense model this tensor stands for: 0 for buffers, auxiliaries and tied duplicates,
    /// the unpacked count for packed weights.
    pub logical_elements: u64,
}

impl Classified {
    /// The class the matching rule assigns.
    pub fn class(&self) -> Class {
        self.rule.class
    }
}

const AUX_NAMES: [&str; 18] = [
    "scales",
    "qzeros",
    "g_idx",
    "weight_scale",
    "weight_scale_inv",
    "input_scale",
    "output_scale",
    "weight_shape",
    "weight_g_idx",
    "absmax",
    "quant_map",
    "SCB",
    "weight_global_scale",
    "k_scale",
    "v_scale",
    // NVFP4's second-level (per-tensor) scales: ModelOpt and compressed-tensors spellings.
    "weight_scale_2",
    "input_global_scale",
    // bitsandbytes LLM.int8()'s layout tag, a U8 scalar saved beside every 8-bit `weight` and its `SCB`.
    "weight_format",
];

/// Tensors by name, indexed only when a rule first needs a sibling: most checkpoints never do, and hashing
/// 100k names would be most of the classification's cost.
struct Names<'a> {
    tensors: &'a [Tensor],
    map: OnceLock<HashMap<&'a str, &'a Tensor>>,
}

impl<'a> Names<'a> {
    fn get(&self, name: &str) -> Option<&'a Tensor> {
        self.map
            .get_or_init(|| self.tensors.iter().map(|t| (t.name.as_str(), t)).collect())
            .get(name)
            .copied()
    }
}

/// Classifies every tensor; `config` (when present) gives bit widths and embedding tying. On every core when there
/// are many, and each name pattern once per task (`patterns`): classifying DeepSeek-V3's 92k names one by one on
/// one core was a third of inspecting it.
pub fn classify(tensors: &[Tensor], config: Option<&ModelConfig>) -> Vec<Classified> {
    let by_name = Names {
        tensors,
        map: OnceLock::new(),
    };
    let mut classified = each::map_with(tensors, Patterns::default, |seen, t| {
        let known = seen.get(t, || {
            let (role, role_rule) = role::role_of(&t.name);
            let rule = (!patterns::needs_siblings(t)).then(|| rule_for(t, &by_name, config));
            Known {
                role,
                role_rule,
                rule,
            }
        });
        let rule = known.rule.unwrap_or_else(|| rule_for(t, &by_name, config));
        Classified {
            rule,
            role: known.role,
            role_rule: known.role_rule,
            logical_elements: logical_elements(t, *rule, &by_name, config),
        }
    });
    // An output head config.json ties to the input embeddings is counted there, once: known only once every
    // tensor's role is.
    if config.is_some_and(|c| c.tie_word_embeddings == Some(true)) {
        let embedding_shapes: Vec<&[u64]> = tensors
            .iter()
            .zip(&classified)
            .filter(|(_, c)| c.role == Role::Embeddings)
            .map(|(t, _)| t.shape.as_slice())
            .collect();
        for (t, c) in tensors.iter().zip(&mut classified) {
            if *c.rule == WEIGHT
                && c.role == Role::OutputHead
                && embedding_shapes.contains(&t.shape.as_slice())
            {
                c.rule = &TIED_DUPLICATE;
                c.logical_elements = 0;
            }
        }
    }
    classified
}

fn rule_for(t: &Tensor, by_name: &Names, config: Option<&ModelConfig>) -> &'static Rule {
    let mut from_end = t.name.rsplit('.');
    let last = from_end.next().unwrap_or("");
    let parent = from_end.next().unwrap_or("");
    let module = module_of(&t.name);
    if last == "masked_bias"
        || (last == "bias" && matches!(parent, "attn" | "attention") && t.shape.len() >= 2)
    {
        return &ATTENTION_MASK;
    }
    if matches!(last, "position_ids" | "token_type_ids") {
        return &POSITION_IDS;
    }
    if last == "inv_freq" || t.name.split('.').next() == Some("rope_freqs") {
        return &ROTARY;
    }
    if matches!(last, "running_mean" | "running_var" | "num_batches_tracked") {
        return &NORM_STATS;
    }
    if t.dtype == DType::F8_E8M0 {
        return &E8M0;
    }
    if AUX_NAMES.contains(&last)
        || last.ends_with("_zero_point")
        || last.starts_with("nested_")
        || (last.ends_with("_scales") && last.len() > "_scales".len())
        || t.name.split('.').any(|p| p == "quant_state")
    {
        return &AUX_NAME;
    }
    if last == "scale" && has_quantized_sibling(module, by_name) {
        return &SIBLING_SCALE;
    }
    if last == "qweight" {
        if container_bits(t.dtype) <= 8 {
            return &QWEIGHT_BYTE;
        }
        if config_bits(config).is_some() {
            return &QWEIGHT_CONFIG;
        }
        return match inferred_pack(t, module, by_name) {
            Some(_) => &QWEIGHT_INFERRED,
            None => &QWEIGHT_UNKNOWN,
        };
    }
    if last == "weight_packed" {
        return if config_bits(config).is_some() {
            &CT_PACKED
        } else {
            &CT_UNKNOWN
        };
    }
    if last == "weight"
        && t.dtype == DType::U8
        && BNB_STATE
            .iter()
            .any(|s| by_name.get(&format!("{}.{s}", t.name)).is_some())
    {
        return &BNB_4BIT;
    }
    if last.ends_with("_blocks") && t.dtype == DType::U8 {
        return &MXFP4_BLOCKS;
    }
    // An 8-bit weight never has FP8 scales or a second scale level: this byte holds two E2M1 codes.
    if last == "weight"
        && t.dtype == DType::U8
        && (sibling(module, "weight_scale", by_name).is_some_and(|s| s.dtype == DType::F8_E4M3)
            || sibling(module, "weight_scale_2", by_name).is_some())
    {
        return &NVFP4;
    }
    &WEIGHT
}

/// Bits of one stored element (an I32 `qweight` holds 32 bits of packed weights).
fn container_bits(dtype: DType) -> u32 {
    dtype.bits_per_element() as u32
}

/// What bitsandbytes saves after a 4-bit weight's name (`X.weight.absmax`, `X.weight.quant_state.bitsandbytes__nf4`).
const BNB_STATE: [&str; 4] = [
    "absmax",
    "quant_map",
    "quant_state.bitsandbytes__nf4",
    "quant_state.bitsandbytes__fp4",
];

/// The name without its last component (`a.b.weight` → `a.b`).
pub fn module_of(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(m, _)| m)
}

fn sibling<'a>(module: &str, leaf: &str, by_name: &Names<'a>) -> Option<&'a Tensor> {
    let name = if module.is_empty() {
        leaf.to_string()
    } else {
        format!("{module}.{leaf}")
    };
    by_name.get(&name)
}

fn has_quantized_sibling(module: &str, by_name: &Names) -> bool {
    ["weight", "qweight"].iter().any(|leaf| {
        sibling(module, leaf, by_name).is_some_and(|w| {
            !w.dtype.is_float()
                || matches!(
                    w.dtype,
                    DType::F8_E4M3 | DType::F8_E5M2 | DType::F8_E4M3FNUZ | DType::F8_E5M2FNUZ
                )
        })
    })
}

fn config_bits(config: Option<&ModelConfig>) -> Option<u32> {
    config?.quantization.as_ref()?.bits
}

/// Weights per stored element of a `qweight`, from its siblings' shapes: `scales` [in/group, out] and `qzeros`
/// [in/group, out/pack] (GPTQ and AWQ alike); else GPTQ's `g_idx` [in] against `qweight` [in/pack, out].
fn inferred_pack(t: &Tensor, module: &str, by_name: &Names) -> Option<u64> {
    let valid = |p: u64| [2, 4, 8, 16, 32].contains(&p).then_some(p);
    let last_dim = |x: &Tensor| x.shape.last().copied().filter(|&d| d > 0);
    if let (Some(scales), Some(zeros)) = (
        sibling(module, "scales", by_name),
        sibling(module, "qzeros", by_name),
    ) {
        let (out, packed) = (last_dim(scales)?, last_dim(zeros)?);
        if out % packed == 0 {
            return valid(out / packed);
        }
    }
    let g_idx = sibling(module, "g_idx", by_name)?;
    let rows = t.shape.first().copied().filter(|&r| r > 0)?;
    let inputs = g_idx.elements();
    (inputs % rows == 0).then(|| valid(inputs / rows)).flatten()
}

fn logical_elements(t: &Tensor, rule: Rule, by_name: &Names, config: Option<&ModelConfig>) -> u64 {
    let elements = t.elements();
    let container = container_bits(t.dtype) as u128;
    let per_bits = |bits: u32| (elements as u128 * container / bits as u128) as u64;
    match rule {
        _ if rule.class == Class::Buffer || rule.class == Class::QuantAux => 0,
        QWEIGHT_CONFIG | CT_PACKED => config_bits(config).map_or(elements, per_bits),
        QWEIGHT_INFERRED => {
            inferred_pack(t, module_of(&t.name), by_name).map_or(elements, |p| elements * p)
        }
        BNB_4BIT | MXFP4_BLOCKS | NVFP4 => elements * 2,
        _ => elements,
    }
}

#[cfg(test)]
mod tests;
