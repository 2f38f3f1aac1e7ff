//! The model hyper-parameters llama.cpp writes under the architecture's prefix (`llama.block_count`,
//! `llama.attention.head_count`, …), read from the metadata in one place and kept as the file states them.
//!
//! No default is filled in here: what a missing key means depends on the reader (`inspect` shows it missing, the
//! KV-cache figures and `diff`'s rope un-permute take llama.cpp's defaults), so each reader applies its own.

use crate::model::metadata::{MetaKind, MetaValue};

/// The hyper-parameters of a GGUF model whose metadata names its architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHparams {
    /// `general.architecture` (e.g. `llama`): the prefix of every key below.
    pub architecture: String,
    /// `ARCH.context_length`: the context length the model was trained for, in tokens.
    pub context_length: Hparam<u64>,
    /// `ARCH.block_count`: the number of transformer layers.
    pub block_count: Hparam<u64>,
    /// `ARCH.embedding_length`: the hidden size.
    pub embedding_length: Hparam<u64>,
    /// `ARCH.attention.head_count`: the number of query heads.
    pub head_count: Hparam<u64>,
    /// `ARCH.attention.head_count_kv`: the number of key/value heads (absent means as many as query heads, for
    /// llama.cpp).
    pub head_count_kv: Hparam<u64>,
    /// `ARCH.attention.key_length`: the size of one key head (absent means `embedding_length / head_count`, for
    /// llama.cpp).
    pub key_length: Hparam<u64>,
    /// `ARCH.attention.value_length`: the size of one value head (absent means `embedding_length / head_count`, for
    /// llama.cpp).
    pub value_length: Hparam<u64>,
    /// Multi-head latent attention (llama.cpp's `deepseek2`): the rank of the compressed KV vector.
    pub kv_lora_rank: Hparam<u64>,
    /// `ARCH.rope.dimension_count`: how many dimensions of each head rotary embeddings rotate.
    pub rope_dimension_count: Hparam<u64>,
    /// `ARCH.attention.sliding_window`: the sliding-window attention span, in tokens.
    pub sliding_window: Hparam<u64>,
    /// Per layer, whether it attends within the sliding window; an array cut short by a summary reading of the
    /// metadata is unusable.
    pub sliding_window_pattern: Hparam<Vec<bool>>,
}

/// One hyper-parameter: its full key and what the file holds under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hparam<T> {
    /// `ARCH.suffix`, for messages and for the list of fields a figure came from.
    pub key: String,
    /// What the file holds under the key.
    pub value: Reading<T>,
}

/// What a GGUF file holds under a hyper-parameter's key.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading<T> {
    /// The key is not in the metadata.
    Absent,
    /// The key holds a usable value of the expected type.
    Value(T),
    /// Present with a type that does not give the value (e.g. a per-layer array where one count was expected, a
    /// negative or fractional number).
    Unusable(MetaKind),
}

impl Hparam<u64> {
    /// The count, when the file holds a usable one.
    pub fn count(&self) -> Option<u64> {
        match self.value {
            Reading::Value(n) => Some(n),
            Reading::Absent | Reading::Unusable(_) => None,
        }
    }
}

impl GgufHparams {
    /// Reads the hyper-parameters; `None` when the metadata has no string `general.architecture` to name their
    /// keys.
    pub fn read(metadata: &[(String, MetaValue)]) -> Option<GgufHparams> {
        let architecture = lookup(metadata, "general.architecture")?
            .as_str()?
            .to_string();
        let count = |suffix: &str| hparam(metadata, &architecture, suffix, MetaValue::as_u64);
        let flags = |v: &MetaValue| {
            let array = v.as_array().filter(|a| a.is_complete())?;
            Some(
                array
                    .values
                    .iter()
                    .map(|v| *v == MetaValue::Bool(true))
                    .collect(),
            )
        };
        Some(GgufHparams {
            context_length: count("context_length"),
            block_count: count("block_count"),
            embedding_length: count("embedding_length"),
            head_count: count("attention.head_count"),
            head_count_kv: count("attention.head_count_kv"),
            key_length: count("attention.key_length"),
            value_length: count("attention.value_length"),
            kv_lora_rank: count("attention.kv_lora_rank"),
            rope_dimension_count: count("rope.dimension_count"),
            sliding_window: count("attention.sliding_window"),
            sliding_window_pattern: hparam(
                metadata,
                &architecture,
                "attention.sliding_window_pattern",
                flags,
            ),
            architecture,
        })
    }
}

fn lookup<'m>(metadata: &'m [(String, MetaValue)], key: &str) -> Option<&'m MetaValue> {
    metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// `ARCH.suffix` read with `value`, which says whether the value found is usable.
fn hparam<T>(
    metadata: &[(String, MetaValue)],
    architecture: &str,
    suffix: &str,
    value: impl Fn(&MetaValue) -> Option<T>,
) -> Hparam<T> {
    let key = format!("{architecture}.{suffix}");
    let value = match lookup(metadata, &key) {
        None => Reading::Absent,
        Some(v) => value(v).map_or(Reading::Unusable(v.kind()), Reading::Value),
    };
    Hparam { key, value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metadata::MetaArray;

    #[test]
    fn counts_are_read_as_written_and_unusable_values_keep_their_type() {
        let per_layer = MetaValue::Array(MetaArray {
            element: MetaKind::U32,
            len: 2,
            values: vec![MetaValue::U32(8), MetaValue::U32(4)],
        });
        let cut_short = MetaValue::Array(MetaArray {
            element: MetaKind::Bool,
            len: 3,
            values: vec![MetaValue::Bool(true)],
        });
        let m: Vec<(String, MetaValue)> = [
            ("general.architecture", MetaValue::String("llama".into())),
            ("llama.block_count", MetaValue::I32(32)),
            ("llama.attention.head_count", MetaValue::I32(-1)),
            ("llama.attention.head_count_kv", per_layer),
            ("llama.attention.sliding_window_pattern", cut_short),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let h = GgufHparams::read(&m).unwrap();
        assert_eq!(h.block_count.count(), Some(32));
        assert_eq!(h.block_count.key, "llama.block_count");
        assert_eq!(h.head_count.value, Reading::Unusable(MetaKind::I32));
        assert_eq!(h.head_count_kv.value, Reading::Unusable(MetaKind::Array));
        assert_eq!(h.embedding_length.value, Reading::Absent);
        assert_eq!(
            h.sliding_window_pattern.value,
            Reading::Unusable(MetaKind::Array)
        );
        assert_eq!(GgufHparams::read(&m[1..]), None);
    }
}
