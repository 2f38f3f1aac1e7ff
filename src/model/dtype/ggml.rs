//! ggml's block-quantised tensor types, as stored in GGUF files (docs/FORMATS.md §4).
//!
//! Each stores `block` elements in `bytes` bytes; a tensor's innermost dimension must be a whole number of
//! blocks. The plain ggml types (F32, F16, BF16, I8…I64, F64) are not here: they map to the same [`DType`]
//! variants as safetensors, so per-dtype tables merge across formats. Sizes follow ggml's `type_traits`
//! (`sizeof(block_*)`); `tools/check_ggml_types.py` compares them with gguf-py's `GGML_QUANT_SIZES`.

use super::DType;
use std::fmt;

/// A ggml block-quantised type: elements stored in fixed-size blocks, each block with its own scale(s).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GgmlQuant {
    /// 4-bit quants with one F16 scale per block: 32 elements in 18 bytes (4.5 bits per element).
    Q4_0,
    /// 4-bit quants with an F16 scale and an F16 minimum per block: 32 elements in 20 bytes (5 bits per element).
    Q4_1,
    /// 5-bit quants with one F16 scale per block: 32 elements in 22 bytes (5.5 bits per element).
    Q5_0,
    /// 5-bit quants with an F16 scale and an F16 minimum per block: 32 elements in 24 bytes (6 bits per element).
    Q5_1,
    /// 8-bit quants with one F16 scale per block: 32 elements in 34 bytes (8.5 bits per element).
    Q8_0,
    /// 8-bit quants with an F16 scale and an F16 sum per block (ggml uses it for activations): 32 elements in 36
    /// bytes (9 bits per element).
    Q8_1,
    /// k-quant: 2-bit quants in sub-blocks with 4-bit scales and minimums: 256 elements in 84 bytes (2.625 bits per
    /// element).
    Q2_K,
    /// k-quant: 3-bit quants in sub-blocks with 6-bit scales: 256 elements in 110 bytes (3.4375 bits per element).
    Q3_K,
    /// k-quant: 4-bit quants in sub-blocks with 6-bit scales and minimums: 256 elements in 144 bytes (4.5 bits per
    /// element).
    Q4_K,
    /// k-quant: 5-bit quants in sub-blocks with 6-bit scales and minimums: 256 elements in 176 bytes (5.5 bits per
    /// element).
    Q5_K,
    /// k-quant: 6-bit quants in sub-blocks with 8-bit scales: 256 elements in 210 bytes (6.5625 bits per element).
    Q6_K,
    /// k-quant: 8-bit quants with an F32 scale and per-16 sums (ggml uses it for activations): 256 elements in 292
    /// bytes (9.125 bits per element).
    Q8_K,
    /// i-quant: 2-bit codebook quantisation: 256 elements in 66 bytes (2.0625 bits per element).
    IQ2_XXS,
    /// i-quant: 2-bit codebook quantisation with scales: 256 elements in 74 bytes (2.3125 bits per element).
    IQ2_XS,
    /// i-quant: 3-bit codebook quantisation: 256 elements in 98 bytes (3.0625 bits per element).
    IQ3_XXS,
    /// i-quant: codebook quantisation near 1.5 bits: 256 elements in 50 bytes (1.5625 bits per element).
    IQ1_S,
    /// i-quant: 4-bit non-linear quants with one F16 scale per block: 32 elements in 18 bytes (4.5 bits per
    /// element).
    IQ4_NL,
    /// i-quant: 3-bit codebook quantisation with scales: 256 elements in 110 bytes (3.4375 bits per element).
    IQ3_S,
    /// i-quant: 2-bit codebook quantisation with scales: 256 elements in 82 bytes (2.5625 bits per element).
    IQ2_S,
    /// i-quant: 4-bit non-linear quants in sub-blocks with 6-bit scales: 256 elements in 136 bytes (4.25 bits per
    /// element).
    IQ4_XS,
    /// i-quant: codebook quantisation near 1.75 bits, with scales: 256 elements in 56 bytes (1.75 bits per
    /// element).
    IQ1_M,
    /// ternary (-1, 0, 1) quants packed in base 3: 256 elements in 54 bytes (1.6875 bits per element).
    TQ1_0,
    /// ternary (-1, 0, 1) quants, two bits each, with one F16 scale per block: 256 elements in 66 bytes (2.0625
    /// bits per element).
    TQ2_0,
    /// OCP microscaling FP4: E2M1 values sharing one E8M0 scale per block: 32 elements in 17 bytes (4.25 bits per
    /// element).
    MXFP4,
    /// NVIDIA FP4: E2M1 values with one F8_E4M3 scale per 16 elements: 64 elements in 36 bytes (4.5 bits per
    /// element).
    NVFP4,
    /// 1-bit quants with one F16 scale per block: 128 elements in 18 bytes (1.125 bits per element).
    Q1_0,
}

/// (ggml type id, type, elements per block, bytes per block).
const QUANT_TABLE: [(u32, GgmlQuant, u32, u32); 26] = [
    (2, GgmlQuant::Q4_0, 32, 18),
    (3, GgmlQuant::Q4_1, 32, 20),
    (6, GgmlQuant::Q5_0, 32, 22),
    (7, GgmlQuant::Q5_1, 32, 24),
    (8, GgmlQuant::Q8_0, 32, 34),
    // ggml's block_q8_1 is two F16 and 32 quants (36 bytes); gguf-py still says 40 (two F32), a stale entry
    // for a type that only exists at run time (activations), never in files written by llama.cpp.
    (9, GgmlQuant::Q8_1, 32, 36),
    (10, GgmlQuant::Q2_K, 256, 84),
    (11, GgmlQuant::Q3_K, 256, 110),
    (12, GgmlQuant::Q4_K, 256, 144),
    (13, GgmlQuant::Q5_K, 256, 176),
    (14, GgmlQuant::Q6_K, 256, 210),
    (15, GgmlQuant::Q8_K, 256, 292),
    (16, GgmlQuant::IQ2_XXS, 256, 66),
    (17, GgmlQuant::IQ2_XS, 256, 74),
    (18, GgmlQuant::IQ3_XXS, 256, 98),
    (19, GgmlQuant::IQ1_S, 256, 50),
    (20, GgmlQuant::IQ4_NL, 32, 18),
    (21, GgmlQuant::IQ3_S, 256, 110),
    (22, GgmlQuant::IQ2_S, 256, 82),
    (23, GgmlQuant::IQ4_XS, 256, 136),
    (29, GgmlQuant::IQ1_M, 256, 56),
    (34, GgmlQuant::TQ1_0, 256, 54),
    (35, GgmlQuant::TQ2_0, 256, 66),
    (39, GgmlQuant::MXFP4, 32, 17),
    (40, GgmlQuant::NVFP4, 64, 36),
    (41, GgmlQuant::Q1_0, 128, 18),
];

/// ggml type ids of the plain (one element per block) types and the shared dtype each maps to.
const PLAIN_TABLE: [(u32, DType); 8] = [
    (0, DType::F32),
    (1, DType::F16),
    (24, DType::I8),
    (25, DType::I16),
    (26, DType::I32),
    (27, DType::I64),
    (28, DType::F64),
    (30, DType::BF16),
];

/// Ids ggml once used for layouts it no longer reads: Q4_2, Q4_3, and the repacked Q4_0_4_4…IQ4_NL_8_8
/// (now repacked at load time from Q4_0 / IQ4_NL).
const RETIRED: [(u32, &str); 8] = [
    (4, "Q4_2"),
    (5, "Q4_3"),
    (31, "Q4_0_4_4"),
    (32, "Q4_0_4_8"),
    (33, "Q4_0_8_8"),
    (36, "IQ4_NL_4_4"),
    (37, "IQ4_NL_4_8"),
    (38, "IQ4_NL_8_8"),
];

/// Why a ggml type id cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GgmlTypeError {
    /// A layout ggml removed; the name it had.
    Retired {
        /// The retired type id found in the file.
        id: u32,
        /// The name the layout had in ggml (e.g. `Q4_2`).
        name: &'static str,
    },
    /// A type id ggml has never defined, or one newer than this paramscope knows.
    Unknown {
        /// The type id found in the file.
        id: u32,
    },
}

impl fmt::Display for GgmlTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GgmlTypeError::Retired { id, name } => write!(
                f,
                "ggml type {id} ({name}) is a retired layout that current ggml no longer reads"
            ),
            GgmlTypeError::Unknown { id } => write!(
                f,
                "unknown ggml type {id} (newer than this paramscope, or not a GGUF tensor type)"
            ),
        }
    }
}

impl GgmlQuant {
    fn entry(self) -> (u32, GgmlQuant, u32, u32) {
        *QUANT_TABLE
            .iter()
            .find(|e| e.1 == self)
            .expect("every variant is in the table")
    }

    /// The type's id in GGUF tensor tables (ggml's `enum ggml_type`).
    pub fn id(self) -> u32 {
        self.entry().0
    }

    /// Elements per block.
    pub fn block_elements(self) -> u32 {
        self.entry().2
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> u32 {
        self.entry().3
    }

    /// The type's name as ggml and gguf-py spell it (e.g. `Q4_K`).
    pub fn name(self) -> &'static str {
        match self {
            GgmlQuant::Q4_0 => "Q4_0",
            GgmlQuant::Q4_1 => "Q4_1",
            GgmlQuant::Q5_0 => "Q5_0",
            GgmlQuant::Q5_1 => "Q5_1",
            GgmlQuant::Q8_0 => "Q8_0",
            GgmlQuant::Q8_1 => "Q8_1",
            GgmlQuant::Q2_K => "Q2_K",
            GgmlQuant::Q3_K => "Q3_K",
            GgmlQuant::Q4_K => "Q4_K",
            GgmlQuant::Q5_K => "Q5_K",
            GgmlQuant::Q6_K => "Q6_K",
            GgmlQuant::Q8_K => "Q8_K",
            GgmlQuant::IQ2_XXS => "IQ2_XXS",
            GgmlQuant::IQ2_XS => "IQ2_XS",
            GgmlQuant::IQ3_XXS => "IQ3_XXS",
            GgmlQuant::IQ1_S => "IQ1_S",
            GgmlQuant::IQ4_NL => "IQ4_NL",
            GgmlQuant::IQ3_S => "IQ3_S",
            GgmlQuant::IQ2_S => "IQ2_S",
            GgmlQuant::IQ4_XS => "IQ4_XS",
            GgmlQuant::IQ1_M => "IQ1_M",
            GgmlQuant::TQ1_0 => "TQ1_0",
            GgmlQuant::TQ2_0 => "TQ2_0",
            GgmlQuant::MXFP4 => "MXFP4",
            GgmlQuant::NVFP4 => "NVFP4",
            GgmlQuant::Q1_0 => "Q1_0",
        }
    }

    /// Every block type paramscope knows, in ggml type-id order.
    pub fn all() -> impl Iterator<Item = GgmlQuant> {
        QUANT_TABLE.iter().map(|e| e.1)
    }
}

/// The dtype of a GGUF tensor type id.
pub fn dtype_from_ggml_id(id: u32) -> Result<DType, GgmlTypeError> {
    if let Some((_, d)) = PLAIN_TABLE.iter().find(|e| e.0 == id) {
        return Ok(*d);
    }
    if let Some(e) = QUANT_TABLE.iter().find(|e| e.0 == id) {
        return Ok(DType::Ggml(e.1));
    }
    match RETIRED.iter().find(|e| e.0 == id) {
        Some(&(id, name)) => Err(GgmlTypeError::Retired { id, name }),
        None => Err(GgmlTypeError::Unknown { id }),
    }
}

/// The GGUF tensor type id of a dtype, when GGUF can store it.
pub fn ggml_id(dtype: DType) -> Option<u32> {
    match dtype {
        DType::Ggml(q) => Some(q.id()),
        d => PLAIN_TABLE.iter().find(|e| e.1 == d).map(|e| e.0),
    }
}

/// Every id GGUF files may use, in id order (for tests and the gguf-py comparison).
pub fn known_ids() -> Vec<u32> {
    let mut ids: Vec<u32> = PLAIN_TABLE
        .iter()
        .map(|e| e.0)
        .chain(QUANT_TABLE.iter().map(|e| e.0))
        .collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dtype::{SizeError, Storage};

    #[test]
    fn ids_round_trip_and_plain_types_are_shared_with_safetensors() {
        for id in known_ids() {
            let d = dtype_from_ggml_id(id).unwrap();
            assert_eq!(ggml_id(d), Some(id), "{d}");
        }
        assert_eq!(dtype_from_ggml_id(0), Ok(DType::F32));
        assert_eq!(dtype_from_ggml_id(30), Ok(DType::BF16));
        assert_eq!(dtype_from_ggml_id(28), Ok(DType::F64));
        assert_eq!(ggml_id(DType::F8_E4M3), None);
        assert_eq!(known_ids().len(), 34);
    }

    #[test]
    fn retired_and_unknown_ids_are_errors_naming_the_id() {
        for id in [4, 5, 31, 32, 33, 36, 37, 38] {
            let e = dtype_from_ggml_id(id).unwrap_err();
            assert!(matches!(e, GgmlTypeError::Retired { .. }), "{id}");
            assert!(e.to_string().contains(&format!("type {id} ")), "{e}");
        }
        let e = dtype_from_ggml_id(42).unwrap_err();
        assert_eq!(e, GgmlTypeError::Unknown { id: 42 });
        assert!(e.to_string().contains("42"));
        assert!(dtype_from_ggml_id(u32::MAX).is_err());
    }

    #[test]
    fn block_sizes_by_hand() {
        // Q4_K: 256 weights in 2 F16 scales + 12 scale bytes + 128 nibble bytes = 144 bytes = 4.5 bits/weight.
        let q4k = DType::Ggml(GgmlQuant::Q4_K);
        assert_eq!(
            q4k.storage(),
            Storage::Block {
                elements: 256,
                bytes: 144
            }
        );
        assert_eq!(q4k.bits_per_element(), 4.5);
        assert_eq!(q4k.bytes_for(4096 * 4096), Ok(4096 * 4096 / 256 * 144));
        // Q8_0: 32 int8 + one F16 scale = 34 bytes = 8.5 bits/weight.
        assert_eq!(DType::Ggml(GgmlQuant::Q8_0).bytes_for(64), Ok(68));
        assert_eq!(DType::Ggml(GgmlQuant::Q8_0).bits_per_element(), 8.5);
        // Q6_K: 210 bytes per 256 = 6.5625.
        assert_eq!(DType::Ggml(GgmlQuant::Q6_K).bits_per_element(), 6.5625);
        // MXFP4: 32 nibbles + one E8M0 scale = 17 bytes = 4.25.
        assert_eq!(DType::Ggml(GgmlQuant::MXFP4).bits_per_element(), 4.25);
        assert_eq!(
            DType::Ggml(GgmlQuant::Q4_0).bytes_for(33),
            Err(SizeError::PartialBlock {
                elements: 33,
                block: 32
            })
        );
        assert_eq!(DType::Ggml(GgmlQuant::Q4_0).bytes_for(0), Ok(0));
    }
}
