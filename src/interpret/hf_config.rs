//! The Hugging Face `config.json` beside a checkpoint, read leniently: a missing or mistyped field is simply
//! unknown, and a file that is not JSON is a note for the report, never a reason to refuse the weights.

use crate::model::checkpoint::{Checkpoint, Format};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fields of a Hugging Face `config.json` paramscope reads (the rest kept in `raw`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelConfig {
    /// The file read.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// `model_type` (`llama`, `mixtral`, …).
    pub model_type: Option<String>,
    /// `architectures` (`LlamaForCausalLM`, …).
    pub architectures: Vec<String>,
    /// As written; transformers defaults to `true` when the key is absent, which is why `None` is kept apart.
    pub tie_word_embeddings: Option<bool>,
    /// `vocab_size`.
    pub vocab_size: Option<u64>,
    /// `hidden_size`.
    pub hidden_size: Option<u64>,
    /// `num_hidden_layers`.
    pub num_hidden_layers: Option<u64>,
    /// `num_attention_heads`.
    pub num_attention_heads: Option<u64>,
    /// `num_key_value_heads`; absent means as many as the attention heads.
    pub num_key_value_heads: Option<u64>,
    /// `head_dim`; absent means `hidden_size / num_attention_heads`.
    pub head_dim: Option<u64>,
    /// `max_position_embeddings`: the longest context the model was made for.
    pub max_position_embeddings: Option<u64>,
    /// `sliding_window`, in tokens.
    pub sliding_window: Option<u64>,
    /// `torch_dtype` (or `dtype`) as written (`bfloat16`).
    pub torch_dtype: Option<String>,
    /// `quantization_config`, when present.
    pub quantization: Option<QuantizationConfig>,
    /// The whole document, for analyses that need fields not lifted out here.
    #[serde(skip)]
    pub raw: Value,
}

/// `quantization_config`, reduced to what decides how packed weights are counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuantizationConfig {
    /// `quant_method` (`gptq`, `awq`, `bitsandbytes`, `compressed-tensors`, …).
    pub quant_method: Option<String>,
    /// Bits per weight: `bits` (GPTQ, AWQ), compressed-tensors' `config_groups.*.weights.num_bits`, or 4/8 from
    /// bitsandbytes' `load_in_4bit` / `load_in_8bit`.
    pub bits: Option<u32>,
    /// Weights per scale (`group_size`); -1 in the file (one group per row) is kept as `None`.
    pub group_size: Option<u64>,
    /// Modules kept unquantized: `modules_to_not_convert`, bitsandbytes' `llm_int8_skip_modules`,
    /// compressed-tensors' `ignore`.
    pub modules_to_not_convert: Vec<String>,
}

impl ModelConfig {
    /// Whether input embeddings and output head share one matrix, with transformers' default (`true`) when absent.
    pub fn ties_embeddings(&self) -> bool {
        self.tie_word_embeddings.unwrap_or(true)
    }
}

/// The `config.json` that describes `checkpoint`: the one beside it for safetensors; none for GGUF, which carries
/// its own architecture metadata (a `config.json` next to a GGUF file describes some other checkpoint).
pub fn for_checkpoint(checkpoint: &Checkpoint) -> Option<Result<ModelConfig, String>> {
    match checkpoint.format {
        Format::Gguf => None,
        _ => load_beside(&checkpoint.path),
    }
}

/// The `config.json` in the folder of the checkpoint (the folder itself, or the folder of the file or index).
/// `None` when there is none; `Some(Err)` says why an existing file could not be used.
pub fn load_beside(checkpoint_path: &Path) -> Option<Result<ModelConfig, String>> {
    let folder = if checkpoint_path.is_dir() {
        checkpoint_path.to_path_buf()
    } else {
        checkpoint_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let path = folder.join("config.json");
    std::fs::metadata(&path).ok()?;
    Some(read_file(&path).map_err(|why| format!("{}: {why}; ignored", path.display())))
}

/// A `config.json` named by the user (`footprint --config FILE`); `Err` is the reason alone, for a message that
/// names the file.
pub fn read_file(path: &Path) -> Result<ModelConfig, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    // A config.json is a few kilobytes; anything huge is not one, and is not read into memory.
    const MAX_CONFIG_BYTES: u64 = 16 << 20;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!("{} bytes, too large for a config.json", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    parse_value(path, &bytes)
}

/// `bytes` as a config.json; `Err` names `path` and says the file is ignored.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ModelConfig, String> {
    parse_value(path, bytes).map_err(|why| format!("{}: {why}; ignored", path.display()))
}

fn parse_value(path: &Path, bytes: &[u8]) -> Result<ModelConfig, String> {
    let raw: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    if !raw.is_object() {
        return Err("not a JSON object".into());
    }
    // Multimodal configs (Llava, Gemma 3, Mllama…) keep the language model's figures under `text_config`.
    let text = raw.get("text_config").filter(|t| t.is_object());
    let num = |key: &str| {
        raw.get(key)
            .and_then(Value::as_u64)
            .or_else(|| text.and_then(|t| t.get(key)).and_then(Value::as_u64))
    };
    let string = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(ModelConfig {
        path: path.to_path_buf(),
        model_type: string("model_type"),
        architectures: raw
            .get("architectures")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        tie_word_embeddings: raw
            .get("tie_word_embeddings")
            .or_else(|| text.and_then(|t| t.get("tie_word_embeddings")))
            .and_then(Value::as_bool),
        vocab_size: num("vocab_size"),
        hidden_size: num("hidden_size"),
        num_hidden_layers: num("num_hidden_layers"),
        num_attention_heads: num("num_attention_heads"),
        num_key_value_heads: num("num_key_value_heads"),
        head_dim: num("head_dim"),
        max_position_embeddings: num("max_position_embeddings"),
        sliding_window: num("sliding_window"),
        torch_dtype: string("torch_dtype").or_else(|| string("dtype")),
        quantization: raw.get("quantization_config").map(quantization),
        raw,
    })
}

fn quantization(q: &Value) -> QuantizationConfig {
    let bits = q
        .get("bits")
        .and_then(Value::as_u64)
        .or_else(|| compressed_tensors_bits(q))
        .or_else(|| (q.get("load_in_4bit").and_then(Value::as_bool) == Some(true)).then_some(4))
        .or_else(|| (q.get("load_in_8bit").and_then(Value::as_bool) == Some(true)).then_some(8))
        .and_then(|b| u32::try_from(b).ok())
        .filter(|&b| (1..=64).contains(&b));
    let mut skip = Vec::new();
    for key in ["modules_to_not_convert", "llm_int8_skip_modules", "ignore"] {
        if let Some(list) = q.get(key).and_then(Value::as_array) {
            skip.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    QuantizationConfig {
        quant_method: q
            .get("quant_method")
            .and_then(Value::as_str)
            .map(str::to_string),
        bits,
        group_size: q.get("group_size").and_then(Value::as_u64),
        modules_to_not_convert: skip,
    }
}

/// compressed-tensors: `config_groups: {group_0: {weights: {num_bits: 4, …}, targets: […]}}`. Only a bit width all
/// groups agree on is used; mixed widths stay unknown rather than guessed.
fn compressed_tensors_bits(q: &Value) -> Option<u64> {
    let groups = q.get("config_groups")?.as_object()?;
    let mut widths = groups
        .values()
        .filter_map(|g| g.get("weights")?.get("num_bits")?.as_u64());
    let first = widths.next()?;
    widths.all(|w| w == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(v: Value) -> ModelConfig {
        parse(Path::new("config.json"), v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn reads_gptq_bits_and_skip_lists() {
        let c = cfg(
            json!({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
            "tie_word_embeddings": false, "num_hidden_layers": 32,
            "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128,
                "modules_to_not_convert": ["lm_head"]}}),
        );
        assert_eq!(c.model_type.as_deref(), Some("llama"));
        assert_eq!(c.architectures, ["LlamaForCausalLM"]);
        assert!(!c.ties_embeddings());
        assert_eq!(c.num_hidden_layers, Some(32));
        let q = c.quantization.unwrap();
        assert_eq!((q.bits, q.group_size), (Some(4), Some(128)));
        assert_eq!(q.modules_to_not_convert, ["lm_head"]);
    }

    #[test]
    fn bitsandbytes_and_compressed_tensors_bits() {
        let bnb = cfg(
            json!({"quantization_config": {"quant_method": "bitsandbytes",
            "load_in_4bit": true, "llm_int8_skip_modules": ["lm_head"]}}),
        );
        assert_eq!(bnb.quantization.as_ref().unwrap().bits, Some(4));
        let ct = cfg(
            json!({"quantization_config": {"quant_method": "compressed-tensors",
            "config_groups": {"group_0": {"weights": {"num_bits": 4}}, "group_1": {"weights": {"num_bits": 4}}},
            "ignore": ["lm_head"]}}),
        );
        assert_eq!(ct.quantization.as_ref().unwrap().bits, Some(4));
        let mixed = cfg(json!({"quantization_config": {"config_groups": {
            "a": {"weights": {"num_bits": 4}}, "b": {"weights": {"num_bits": 8}}}}}));
        assert_eq!(mixed.quantization.unwrap().bits, None);
    }

    #[test]
    fn lenient_on_types_strict_on_json() {
        // A string where a number belongs is unknown, not an error; tying defaults to transformers' `true`.
        let c = cfg(json!({"num_hidden_layers": "32", "text_config": {"hidden_size": 64}}));
        assert_eq!(c.num_hidden_layers, None);
        assert_eq!(c.hidden_size, Some(64));
        assert!(c.ties_embeddings());
        let err = parse(Path::new("x/config.json"), b"{not json").unwrap_err();
        assert!(
            err.contains("x/config.json") && err.contains("not valid JSON"),
            "{err}"
        );
        assert!(parse(Path::new("c.json"), b"[1]").is_err());
    }
}
