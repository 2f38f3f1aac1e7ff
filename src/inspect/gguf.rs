//! What `inspect` says about a GGUF checkpoint beyond tensors: the model its metadata describes, the tokenizer's
//! size, the quantisation, and the converter's parameter count compared with the counted one.

use crate::format::gguf::hparams::GgufHparams;
use crate::model::checkpoint::Checkpoint;
use crate::model::metadata::{MetaValue, MetadataDetail};
use serde::Serialize;

/// What a GGUF checkpoint's metadata says about its model, tokenizer and quantisation, beside the counted figures.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct GgufReport {
    /// `general.architecture` (e.g. `llama`); the prefix of the model's own keys.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// `general.file_type`: the quantisation mix llama.cpp's quantiser was asked for.
    pub file_type: Option<FileType>,
    /// `ARCH.context_length`, `ARCH.block_count`, `ARCH.embedding_length`, `ARCH.attention.head_count(_kv)`.
    pub context_length: Option<u64>,
    /// `ARCH.block_count`: the transformer layers.
    pub block_count: Option<u64>,
    /// `ARCH.embedding_length`: the hidden size.
    pub embedding_length: Option<u64>,
    /// `ARCH.attention.head_count`: attention heads.
    pub head_count: Option<u64>,
    /// `ARCH.attention.head_count_kv` as written (`None` when absent, though llama.cpp then uses `head_count`).
    pub head_count_kv: Option<u64>,
    /// The tokenizer's model and size, when the file names either.
    pub tokenizer: Option<Tokenizer>,
    /// `general.parameter_count` as the converter wrote it: a claim to compare with `parameters`.
    pub parameter_count: Option<u64>,
    /// Whether the claim equals the counted parameters (`null` without a claim or when filtered).
    pub parameter_count_matches: Option<bool>,
    /// The data's bits per parameter over the counted tensors: tensor bytes × 8 / parameters.
    pub bits_per_weight: Option<f64>,
    /// `general.alignment` (32 when absent).
    pub alignment: u64,
    /// The GGUF version of the files (2 or 3); `null` if the parts of a split model disagree.
    pub version: Option<u32>,
    /// Whether metadata arrays are listed whole (`full`) or as type, length and first elements (`summary`).
    pub metadata_arrays: &'static str,
}

/// `general.file_type`, with its llama.cpp name.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileType {
    /// The number as stored.
    pub id: u64,
    /// llama.cpp's name for it (`MOSTLY_Q4_K_M`), when known.
    pub name: Option<&'static str>,
}

/// The tokenizer a GGUF file embeds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Tokenizer {
    /// `tokenizer.ggml.model` (`gpt2`, `llama`, …).
    pub model: Option<String>,
    /// The length of `tokenizer.ggml.tokens`.
    pub tokens: Option<u64>,
}

/// The GGUF part of an inspect report: `parameters` and `tensor_bytes` are the counted figures, `filtered` whether a filter chose them (a claim is compared only without one).
pub(crate) fn report(
    checkpoint: &Checkpoint,
    parameters: u64,
    tensor_bytes: u64,
    filtered: bool,
    detail: MetadataDetail,
) -> GgufReport {
    let get = |key: &str| checkpoint.meta(key);
    let text = |key: &str| get(key).and_then(MetaValue::as_str).map(str::to_string);
    let int = |key: &str| get(key).and_then(MetaValue::as_u64);
    let hparams = GgufHparams::read(&checkpoint.metadata);
    let h = hparams.as_ref();
    let tokens = get("tokenizer.ggml.tokens")
        .and_then(MetaValue::as_array)
        .map(|a| a.len);
    let model = text("tokenizer.ggml.model");
    let parameter_count = int("general.parameter_count");
    GgufReport {
        name: text("general.name"),
        file_type: int("general.file_type").map(|id| FileType {
            id,
            name: file_type_name(id),
        }),
        context_length: h.and_then(|h| h.context_length.count()),
        block_count: h.and_then(|h| h.block_count.count()),
        embedding_length: h.and_then(|h| h.embedding_length.count()),
        head_count: h.and_then(|h| h.head_count.count()),
        // As written, without llama.cpp's default (a KV head per head): the report says what the file states.
        head_count_kv: h.and_then(|h| h.head_count_kv.count()),
        architecture: h.map(|h| h.architecture.clone()),
        tokenizer: (tokens.is_some() || model.is_some()).then_some(Tokenizer { model, tokens }),
        parameter_count,
        parameter_count_matches: parameter_count
            .filter(|_| !filtered)
            .map(|c| c == parameters),
        bits_per_weight: (parameters > 0).then(|| tensor_bytes as f64 * 8.0 / parameters as f64),
        alignment: int("general.alignment").unwrap_or(32),
        version: one_version(checkpoint),
        metadata_arrays: match detail {
            MetadataDetail::Summary => "summary",
            MetadataDetail::Full => "full",
        },
    }
}

fn one_version(checkpoint: &Checkpoint) -> Option<u32> {
    let mut versions = checkpoint.files.iter().map(|f| f.format_version);
    let first = versions.next()??;
    versions.all(|v| v == Some(first)).then_some(first)
}

/// llama.cpp's `llama_ftype` (gguf-py `LlamaFileType`); ids it retired are left unnamed.
fn file_type_name(id: u64) -> Option<&'static str> {
    Some(match id {
        0 => "ALL_F32",
        1 => "MOSTLY_F16",
        2 => "MOSTLY_Q4_0",
        3 => "MOSTLY_Q4_1",
        7 => "MOSTLY_Q8_0",
        8 => "MOSTLY_Q5_0",
        9 => "MOSTLY_Q5_1",
        10 => "MOSTLY_Q2_K",
        11 => "MOSTLY_Q3_K_S",
        12 => "MOSTLY_Q3_K_M",
        13 => "MOSTLY_Q3_K_L",
        14 => "MOSTLY_Q4_K_S",
        15 => "MOSTLY_Q4_K_M",
        16 => "MOSTLY_Q5_K_S",
        17 => "MOSTLY_Q5_K_M",
        18 => "MOSTLY_Q6_K",
        19 => "MOSTLY_IQ2_XXS",
        20 => "MOSTLY_IQ2_XS",
        21 => "MOSTLY_Q2_K_S",
        22 => "MOSTLY_IQ3_XS",
        23 => "MOSTLY_IQ3_XXS",
        24 => "MOSTLY_IQ1_S",
        25 => "MOSTLY_IQ4_NL",
        26 => "MOSTLY_IQ3_S",
        27 => "MOSTLY_IQ3_M",
        28 => "MOSTLY_IQ2_S",
        29 => "MOSTLY_IQ2_M",
        30 => "MOSTLY_IQ4_XS",
        31 => "MOSTLY_IQ1_M",
        32 => "MOSTLY_BF16",
        36 => "MOSTLY_TQ1_0",
        37 => "MOSTLY_TQ2_0",
        38 => "MOSTLY_MXFP4_MOE",
        39 => "MOSTLY_NVFP4",
        40 => "MOSTLY_Q1_0",
        1024 => "GUESSED",
        _ => return None,
    })
}
