//! The architecture figures that decide the KV cache, read from a checkpoint's `config.json` (Hugging Face) or
//! its GGUF metadata ([`from_gguf`]) — and only what is written there: when a field is missing, the architecture is unknown and we say so.

mod gguf;

pub use gguf::{from_gguf, gguf_needs_full_metadata};
use serde::Serialize;
use serde_json::Value;

/// The attention figures the KV cache is computed from, as read from config.json or GGUF metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    /// Layers that keep a KV cache.
    pub layers: u64,
    /// Key/value heads per layer (the head count without grouped-query attention).
    pub kv_heads: u64,
    /// Per-head dimension of keys and values (they may differ, e.g. in GGUF `key_length`/`value_length`).
    pub key_dim: u64,
    /// Per-head dimension of values.
    pub value_dim: u64,
    /// How many layers attend only within a sliding window, and its size in tokens.
    pub sliding_layers: u64,
    /// The sliding window in tokens, when some layers use one.
    pub sliding_window: Option<u64>,
    /// Layers that keep no per-token cache (`layer_types` `linear_attention`, `conv`, `mamba` in hybrid models such
    /// as Qwen3-Next or LFM2): their state does not grow with the context.
    pub uncached_layers: u64,
    /// Cross-attention layers (Mllama's `cross_attention_layers`): they cache the image's keys and values once per
    /// sequence, not per text token, so they add nothing per token and are left out of the KV cache here.
    pub cross_attention_layers: u64,
    /// Multi-head latent attention (DeepSeek-V2/V3) caches one compressed vector per token and layer instead of
    /// per-head keys and values: `kv_lora_rank + qk_rope_head_dim` elements.
    pub mla_elements: Option<u64>,
    /// The longest context the model is made for (`max_position_embeddings`, GPT-2's `n_positions`, GGUF
    /// `ARCH.context_length`): no use searching for a longer one that fits in memory.
    pub max_context: Option<u64>,
    /// The config fields the figures came from, for the report.
    pub fields_used: Vec<String>,
}

impl Attention {
    /// Multi-head latent attention: `elements` (compressed vector + rotary part) cached per token and layer.
    pub fn latent(
        layers: u64,
        elements: u64,
        max_context: Option<u64>,
        fields_used: Vec<String>,
    ) -> Self {
        Attention {
            layers,
            kv_heads: 1,
            key_dim: elements,
            value_dim: 0,
            sliding_layers: 0,
            sliding_window: None,
            uncached_layers: 0,
            cross_attention_layers: 0,
            mla_elements: Some(elements),
            max_context,
            fields_used,
        }
    }

    /// Elements cached per token for a context of `context` tokens, summed over layers.
    pub fn cached_elements(&self, context: u64) -> u128 {
        if let Some(per_layer) = self.mla_elements {
            return self.layers as u128 * per_layer as u128 * context as u128;
        }
        let per_layer_token = self.kv_heads as u128 * (self.key_dim + self.value_dim) as u128;
        let full_layers = (self.layers
            - self.sliding_layers
            - self.uncached_layers
            - self.cross_attention_layers) as u128;
        let window = self.sliding_window.map_or(context, |w| w.min(context)) as u128;
        per_layer_token * (full_layers * context as u128 + self.sliding_layers as u128 * window)
    }
}

/// The counts the KV-cache figures are computed from, under every spelling read below.
const COUNT_FIELDS: [&str; 16] = [
    "num_hidden_layers",
    "n_layer",
    "num_attention_heads",
    "n_head",
    "num_key_value_heads",
    "num_kv_heads",
    "head_dim",
    "hidden_size",
    "n_embd",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "sliding_window",
    "sliding_window_pattern",
    "_sliding_window_pattern",
    "full_attention_interval",
    "max_window_layers",
];

/// Reads the attention figures from a `config.json` value; `Err` says which field is missing or unreadable.
pub fn from_hf_config(config: &Value) -> Result<Attention, String> {
    // Multimodal configs (Llava, Gemma 3, Mllama…) keep the language model under `text_config`.
    let (c, prefix) = match config.get("text_config") {
        // `null` is as good as absent (transformers' "use the default").
        Some(text) if config.get("num_hidden_layers").is_none_or(Value::is_null) => {
            (text, "text_config.")
        }
        _ => (config, ""),
    };
    // A figure written as a string or a fraction ("8", 8.5) is neither used nor taken as absent: absent, a
    // mistyped `num_key_value_heads` would fall back to every head and quadruple Llama-3's cache.
    for key in COUNT_FIELDS {
        match c.get(key) {
            None | Some(Value::Null) => {}
            Some(v) if v.as_u64().is_some() => {}
            Some(v) => {
                return Err(format!(
                    "config.json's {prefix}{key} is {v}, not a whole number"
                ))
            }
        }
    }
    let max_context = ["max_position_embeddings", "n_positions"]
        .iter()
        .find_map(|k| c.get(*k)?.as_u64())
        .filter(|&n| n > 0);
    let mut used = Vec::new();
    let mut get = |key: &str| -> Option<u64> {
        let v = c.get(key)?.as_u64()?;
        used.push(format!("{prefix}{key}"));
        Some(v)
    };
    // GPT-2, GPT-J, Bloom and Falcon-7B configs use the older names transformers maps with `attribute_map`:
    // `n_layer`, `n_head`, `n_embd`.
    let layers = get("num_hidden_layers")
        .or_else(|| get("n_layer"))
        .ok_or_else(|| missing(prefix, &["num_hidden_layers"]))?;
    if let (Some(rank), Some(rope)) = (get("kv_lora_rank"), get("qk_rope_head_dim")) {
        return Ok(Attention::latent(layers, rank + rope, max_context, used));
    }
    let heads = get("num_attention_heads")
        .or_else(|| get("n_head"))
        .ok_or_else(|| missing(prefix, &["num_attention_heads"]))?;
    // Falcon names its KV heads `num_kv_heads`; Falcon-7B and GPTBigCode (StarCoder) say `multi_query` instead:
    // one KV head shared by all query heads.
    let multi_query = c.get("multi_query").and_then(Value::as_bool) == Some(true);
    let explicit_kv_heads = get("num_key_value_heads").or_else(|| get("num_kv_heads"));
    let kv_heads = explicit_kv_heads.unwrap_or(if multi_query { 1 } else { heads });
    let head_dim = match get("head_dim") {
        Some(d) => d,
        None => {
            let hidden = get("hidden_size")
                .or_else(|| get("n_embd"))
                .ok_or_else(|| missing(prefix, &["head_dim", "hidden_size"]))?;
            if heads == 0 || hidden % heads != 0 {
                return Err(format!(
                    "hidden_size {hidden} is not a multiple of num_attention_heads {heads}"
                ));
            }
            hidden / heads
        }
    };
    if multi_query && explicit_kv_heads.is_none() {
        used.push(format!("{prefix}multi_query"));
    }
    let (sliding_layers, sliding_window) = sliding(c, layers, prefix, &mut used);
    let uncached_layers = uncached(c, layers, prefix, &mut used).min(layers - sliding_layers);
    let cross_attention_layers = match c.get("cross_attention_layers").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            used.push(format!("{prefix}cross_attention_layers"));
            (list.len() as u64).min(layers - sliding_layers - uncached_layers)
        }
        _ => 0,
    };
    Ok(Attention {
        layers,
        kv_heads,
        key_dim: head_dim,
        value_dim: head_dim,
        sliding_layers,
        sliding_window,
        uncached_layers,
        cross_attention_layers,
        mla_elements: None,
        max_context,
        fields_used: used,
    })
}

/// Names a missing field where it was looked for: a multimodal config's `text_config` often leaves a field to its
/// model type's default (llava-hf/llava-1.5-7b-hf's has no layer count), which is not assumed here.
fn missing(prefix: &str, fields: &[&str]) -> String {
    let names: Vec<String> = fields.iter().map(|f| format!("{prefix}{f}")).collect();
    let what = match names.as_slice() {
        [one] => format!("no {one}"),
        many => format!("neither {}", many.join(" nor ")),
    };
    if prefix.is_empty() {
        format!("config.json has {what}")
    } else {
        format!("config.json has {what} (its language model's text_config leaves it to the model type's default, which is not assumed)")
    }
}

/// Sliding-window layers: `layer_types` when the config lists them (Gemma 2/3, gpt-oss, recent transformers), else
/// Qwen2's `max_window_layers` or the period of older Gemma/Cohere2 configs; otherwise a set `sliding_window`
/// applies to every layer (Mistral), unless `use_sliding_window` is false (Qwen2).
fn sliding(c: &Value, layers: u64, prefix: &str, used: &mut Vec<String>) -> (u64, Option<u64>) {
    let Some(window) = c.get("sliding_window").and_then(Value::as_u64) else {
        return (0, None);
    };
    if c.get("use_sliding_window").and_then(Value::as_bool) == Some(false) {
        used.push(format!("{prefix}use_sliding_window"));
        return (0, None);
    }
    used.push(format!("{prefix}sliding_window"));
    if let Some(types) = c.get("layer_types").and_then(Value::as_array) {
        used.push(format!("{prefix}layer_types"));
        let n = types
            .iter()
            .filter(|t| t.as_str() == Some("sliding_attention"))
            .count() as u64;
        return (n.min(layers), Some(window));
    }
    // Qwen2-family configs (Qwen2, Qwen2-MoE, Qwen3), recognised by `max_window_layers`, slide only when
    // `use_sliding_window` is true (their default is false) and then only from layer `max_window_layers` on, as
    // transformers lays them out: with it equal to the depth, as the published configs write it, none slides.
    if let Some(first) = c.get("max_window_layers").and_then(Value::as_u64) {
        used.push(format!("{prefix}max_window_layers"));
        if c.get("use_sliding_window").and_then(Value::as_bool) != Some(true) {
            return (0, None);
        }
        used.push(format!("{prefix}use_sliding_window"));
        return (layers - first.min(layers), Some(window));
    }
    // Configs older than `layer_types` give a period instead: with `sliding_window_pattern` n (Gemma 3, Cohere2;
    // `_sliding_window_pattern` where transformers 4.53+ re-saved it) layer i slides unless (i + 1) is a multiple
    // of n. Without the key, transformers' defaults apply: Gemma 2 alternates (even layers slide), Gemma 3 makes
    // every 6th layer global (google/gemma-3-27b-it's config.json writes neither key nor `layer_types`).
    let pattern = ["sliding_window_pattern", "_sliding_window_pattern"]
        .into_iter()
        .find_map(|k| Some((k, c.get(k)?.as_u64().filter(|&n| n > 0)?)));
    let default_period = match c.get("model_type").and_then(Value::as_str) {
        Some("gemma2") => Some(2),
        Some("gemma3" | "gemma3_text") => Some(6),
        _ => None,
    };
    let period = match (pattern, default_period) {
        (Some((key, n)), _) => {
            used.push(format!("{prefix}{key}"));
            Some(n)
        }
        (None, Some(n)) => {
            used.push(format!("{prefix}model_type"));
            Some(n)
        }
        (None, None) => None,
    };
    match period {
        Some(n) => (sliding_in_period(layers, n), Some(window)),
        None => (layers, Some(window)),
    }
}

/// Layers that slide when every `period`-th layer (the last of each period) attends globally: layer i slides
/// unless (i + 1) is a multiple of `period` (Gemma 2: 2, Gemma 3: 6, Cohere2: 4), as transformers and llama.cpp
/// lay them out.
pub(crate) fn sliding_in_period(layers: u64, period: u64) -> u64 {
    layers - layers / period
}

/// Hybrid models list the layers whose mixer is no attention in `layer_types`: linear attention (Qwen3-Next,
/// Qwen3.5), short convolutions (LFM2), Mamba. Their recurrent state is fixed in size, so no KV cache. Without
/// `layer_types`, Qwen3-Next's `full_attention_interval` n makes every n-th layer attention, the others linear.
fn uncached(c: &Value, layers: u64, prefix: &str, used: &mut Vec<String>) -> u64 {
    let Some(types) = c.get("layer_types").and_then(Value::as_array) else {
        return match c.get("full_attention_interval").and_then(Value::as_u64) {
            Some(n) if n > 0 => {
                used.push(format!("{prefix}full_attention_interval"));
                layers - layers / n
            }
            _ => 0,
        };
    };
    let n = types
        .iter()
        .filter(|t| matches!(t.as_str(), Some("linear_attention" | "conv" | "mamba")))
        .count() as u64;
    let key = format!("{prefix}layer_types");
    if n > 0 && !used.contains(&key) {
        used.push(key);
    }
    n
}

#[cfg(test)]
mod tests;
