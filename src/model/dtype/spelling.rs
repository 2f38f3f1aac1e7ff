//! Dtypes as people write them: `inspect`'s spelling (`BF16`, `Q4_K`) in any case, and the names they have in
//! hand from elsewhere: PyTorch (`torch.bfloat16`, `float16`, `half`), config.json's `torch_dtype`, NumPy
//! (`float32`, `int8`) and the common short forms (`fp16`, `bf16`, `fp8`). Every flag and rules-file key that takes
//! a dtype reads it here, so `--dtype bfloat16` and `--kv-dtype BF16` mean what `inspect` prints as BF16.

use super::DType;

/// The other spellings, lowercase, with the dtype each means (`inspect`'s own names are matched separately).
const ALIASES: &[(&str, DType)] = &[
    ("uint8", DType::U8),
    ("int8", DType::I8),
    ("int16", DType::I16),
    ("short", DType::I16),
    ("uint16", DType::U16),
    ("int32", DType::I32),
    ("int", DType::I32),
    ("uint32", DType::U32),
    ("int64", DType::I64),
    ("long", DType::I64),
    ("uint64", DType::U64),
    ("float16", DType::F16),
    ("half", DType::F16),
    ("fp16", DType::F16),
    ("bfloat16", DType::BF16),
    ("float32", DType::F32),
    ("float", DType::F32),
    ("fp32", DType::F32),
    ("float64", DType::F64),
    ("double", DType::F64),
    ("fp64", DType::F64),
    ("complex64", DType::C64),
    ("cfloat", DType::C64),
    ("complex128", DType::C128),
    ("cdouble", DType::C128),
    ("float8_e4m3fn", DType::F8_E4M3),
    ("float8_e5m2", DType::F8_E5M2),
    ("float8_e8m0fnu", DType::F8_E8M0),
    ("float8_e4m3fnuz", DType::F8_E4M3FNUZ),
    ("float8_e5m2fnuz", DType::F8_E5M2FNUZ),
];

impl DType {
    /// A dtype as a person writes it, in any case: `BF16`, `bf16`, `bfloat16`, `torch.bfloat16`, `float16`,
    /// `Q4_K`, `q4_k`. `None` for anything else.
    pub fn parse(text: &str) -> Option<DType> {
        let text = text.trim();
        let bare = text.strip_prefix("torch.").unwrap_or(text);
        let bare = bare.strip_prefix("np.").unwrap_or(bare);
        let lower = bare.to_ascii_lowercase();
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map(|&(_, d)| d)
            .or_else(|| DType::from_name(&bare.to_ascii_uppercase()))
    }

    /// Why `text` is no dtype, with what is accepted: for flags' and rules files' error messages.
    pub fn unknown(text: &str) -> String {
        let known: Vec<&str> = super::SAFETENSORS_DTYPES.iter().map(|d| d.name()).collect();
        format!(
            "unknown dtype '{text}'; known, in any case: {}, PyTorch's names (bfloat16, float16, float32, \
             torch.bfloat16, …) and the ggml block types of GGUF files (Q4_K, Q8_0, IQ4_XS, …)",
            known.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_in_hand_reads() {
        for text in [
            "BF16",
            "bf16",
            "Bf16",
            "bfloat16",
            "torch.bfloat16",
            " BFloat16 ",
        ] {
            assert_eq!(DType::parse(text), Some(DType::BF16), "{text}");
        }
        for text in ["F16", "f16", "float16", "torch.float16", "half", "fp16"] {
            assert_eq!(DType::parse(text), Some(DType::F16), "{text}");
        }
        for text in ["F32", "float32", "torch.float32", "float", "np.float32"] {
            assert_eq!(DType::parse(text), Some(DType::F32), "{text}");
        }
        assert_eq!(DType::parse("torch.float8_e4m3fn"), Some(DType::F8_E4M3));
        assert_eq!(DType::parse("f8_e5m2"), Some(DType::F8_E5M2));
        assert_eq!(DType::parse("int8"), Some(DType::I8));
        assert_eq!(
            DType::parse("q4_k"),
            DType::from_name("Q4_K"),
            "ggml types too"
        );
        assert!(DType::parse("q4_k").is_some());
        assert_eq!(DType::parse("bfloat"), None);
        assert_eq!(DType::parse("torch."), None);
        assert!(DType::unknown("bfloat").contains("bfloat16"));
    }

    #[test]
    fn every_alias_names_a_dtype_whose_own_name_is_not_an_alias() {
        for (alias, d) in ALIASES {
            assert_eq!(*alias, alias.to_ascii_lowercase());
            assert_ne!(
                alias.to_ascii_uppercase(),
                d.name(),
                "{alias} is the name itself"
            );
        }
    }
}
