//! Element types, format-neutral.
//!
//! Safetensors dtypes are spelled as in the safetensors header (`BF16`, `F8_E4M3`, …) so that JSON output can be
//! compared with the file. Storage is described in bits (or, for block-quantised types, bytes per block), never as
//! a per-element byte width, because sub-byte types (F4, F6_*) exist (docs/FORMATS.md §2). GGUF's block-quantised
//! types are [`DType::Ggml`]; its plain types (F32, F16, BF16, integers) are the safetensors variants.

pub mod ggml;
mod spelling;

pub use ggml::GgmlQuant;
use serde::{Serialize, Serializer};
use std::fmt;

/// An element type, format-neutral: safetensors' dtypes (spelled as in its headers), PyTorch's complex128, and
/// ggml's block-quantised types.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// Boolean, one byte per element.
    BOOL,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// 8-bit float with 4 exponent and 3 mantissa bits (`float8_e4m3fn`: no infinities).
    F8_E4M3,
    /// 8-bit float with 5 exponent and 2 mantissa bits (`float8_e5m2`).
    F8_E5M2,
    /// 8-bit power-of-two scale, exponent bits only (`float8_e8m0fnu`, the shared scale of MX formats).
    F8_E8M0,
    /// `float8_e4m3fnuz`: E4M3 with no negative zero and a single NaN (AMD's variant).
    F8_E4M3FNUZ,
    /// `float8_e5m2fnuz`: E5M2 with no negative zero, no infinities and a single NaN (AMD's variant).
    F8_E5M2FNUZ,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 16-bit integer.
    U16,
    /// IEEE 754 half-precision float.
    F16,
    /// bfloat16: the top 16 bits of an F32.
    BF16,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 32-bit integer.
    U32,
    /// IEEE 754 single-precision float.
    F32,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 64-bit integer.
    U64,
    /// IEEE 754 double-precision float.
    F64,
    /// complex64: two F32 components (real, imaginary).
    C64,
    /// complex128 (PyTorch): two F64 components; safetensors has no such dtype.
    C128,
    /// 4-bit float (E2M1), two elements per byte.
    F4,
    /// 6-bit float with 2 exponent and 3 mantissa bits; four elements per three bytes.
    F6_E2M3,
    /// 6-bit float with 3 exponent and 2 mantissa bits; four elements per three bytes.
    F6_E3M2,
    /// A ggml block-quantised type (GGUF files).
    Ggml(GgmlQuant),
}

/// How elements are laid out in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Each element takes this many bits; a tensor's bits must fill whole bytes.
    Bits(u32),
    /// Blocks of `elements` elements stored in `bytes` bytes (ggml quantisation); a tensor holds whole blocks.
    Block {
        /// Elements per block.
        elements: u32,
        /// Bytes per block.
        bytes: u32,
    },
}

/// Every safetensors dtype, in the order used for display when nothing else orders them.
pub const SAFETENSORS_DTYPES: [DType; 22] = [
    DType::BOOL,
    DType::U8,
    DType::I8,
    DType::F8_E4M3,
    DType::F8_E5M2,
    DType::F8_E8M0,
    DType::F8_E4M3FNUZ,
    DType::F8_E5M2FNUZ,
    DType::I16,
    DType::U16,
    DType::F16,
    DType::BF16,
    DType::I32,
    DType::U32,
    DType::F32,
    DType::I64,
    DType::U64,
    DType::F64,
    DType::C64,
    DType::F4,
    DType::F6_E2M3,
    DType::F6_E3M2,
];

impl DType {
    /// The dtype's name as paramscope reports it: the safetensors spelling (`BF16`), `C128`, or the ggml name
    /// (`Q4_K`).
    pub fn name(self) -> &'static str {
        match self {
            DType::BOOL => "BOOL",
            DType::U8 => "U8",
            DType::I8 => "I8",
            DType::F8_E4M3 => "F8_E4M3",
            DType::F8_E5M2 => "F8_E5M2",
            DType::F8_E8M0 => "F8_E8M0",
            DType::F8_E4M3FNUZ => "F8_E4M3FNUZ",
            DType::F8_E5M2FNUZ => "F8_E5M2FNUZ",
            DType::I16 => "I16",
            DType::U16 => "U16",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::I32 => "I32",
            DType::U32 => "U32",
            DType::F32 => "F32",
            DType::I64 => "I64",
            DType::U64 => "U64",
            DType::F64 => "F64",
            DType::C64 => "C64",
            DType::C128 => "C128",
            DType::F4 => "F4",
            DType::F6_E2M3 => "F6_E2M3",
            DType::F6_E3M2 => "F6_E3M2",
            DType::Ggml(q) => q.name(),
        }
    }

    /// Parses a dtype as spelled in a safetensors header.
    pub fn from_safetensors(name: &str) -> Option<DType> {
        SAFETENSORS_DTYPES
            .iter()
            .copied()
            .find(|d| d.name() == name)
    }

    /// Parses a dtype as paramscope reports it: a safetensors spelling or a ggml block type (`Q4_K`), so a rule
    /// or an expected-tensors file written for a GGUF checkpoint names its types as `inspect` shows them.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::from_safetensors(name)
            .or((name == "C128").then_some(DType::C128))
            .or_else(|| GgmlQuant::all().find(|q| q.name() == name).map(DType::Ggml))
    }

    /// How the dtype's elements are laid out in bytes.
    pub fn storage(self) -> Storage {
        if let DType::Ggml(q) = self {
            return Storage::Block {
                elements: q.block_elements(),
                bytes: q.block_bytes(),
            };
        }
        Storage::Bits(match self {
            DType::F4 => 4,
            DType::F6_E2M3 | DType::F6_E3M2 => 6,
            DType::BOOL
            | DType::U8
            | DType::I8
            | DType::F8_E4M3
            | DType::F8_E5M2
            | DType::F8_E8M0
            | DType::F8_E4M3FNUZ
            | DType::F8_E5M2FNUZ => 8,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 16,
            DType::I32 | DType::U32 | DType::F32 => 32,
            DType::I64 | DType::U64 | DType::F64 | DType::C64 => 64,
            DType::C128 => 128,
            DType::Ggml(_) => unreachable!("handled above"),
        })
    }

    /// Average bits one element occupies on disk (for block types, block bytes × 8 / block elements).
    pub fn bits_per_element(self) -> f64 {
        match self.storage() {
            Storage::Bits(b) => b as f64,
            Storage::Block { elements, bytes } => bytes as f64 * 8.0 / elements as f64,
        }
    }

    /// Bytes needed for `elements` elements, or why that is impossible.
    pub fn bytes_for(self, elements: u64) -> Result<u64, SizeError> {
        match self.storage() {
            Storage::Bits(bits) => {
                let total_bits = (elements as u128) * (bits as u128);
                if !total_bits.is_multiple_of(8) {
                    return Err(SizeError::PartialByte { bits: total_bits });
                }
                u64::try_from(total_bits / 8).map_err(|_| SizeError::Overflow)
            }
            Storage::Block {
                elements: block,
                bytes,
            } => {
                if !elements.is_multiple_of(block as u64) {
                    return Err(SizeError::PartialBlock { elements, block });
                }
                let total = (elements / block as u64) as u128 * bytes as u128;
                u64::try_from(total).map_err(|_| SizeError::Overflow)
            }
        }
    }

    /// Whether the dtype holds floating-point (or complex) values; false for integers, BOOL and ggml block types.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            DType::F8_E4M3
                | DType::F8_E5M2
                | DType::F8_E8M0
                | DType::F8_E4M3FNUZ
                | DType::F8_E5M2FNUZ
                | DType::F16
                | DType::BF16
                | DType::F32
                | DType::F64
                | DType::C64
                | DType::C128
                | DType::F4
                | DType::F6_E2M3
                | DType::F6_E3M2
        )
    }

    /// The matching type in the reference `safetensors` crate, whose validation we reuse; `None` for types
    /// safetensors cannot store (ggml blocks).
    pub fn to_safetensors(self) -> Option<safetensors::Dtype> {
        use safetensors::Dtype as S;
        Some(match self {
            DType::BOOL => S::BOOL,
            DType::U8 => S::U8,
            DType::I8 => S::I8,
            DType::F8_E4M3 => S::F8_E4M3,
            DType::F8_E5M2 => S::F8_E5M2,
            DType::F8_E8M0 => S::F8_E8M0,
            DType::F8_E4M3FNUZ => S::F8_E4M3FNUZ,
            DType::F8_E5M2FNUZ => S::F8_E5M2FNUZ,
            DType::I16 => S::I16,
            DType::U16 => S::U16,
            DType::F16 => S::F16,
            DType::BF16 => S::BF16,
            DType::I32 => S::I32,
            DType::U32 => S::U32,
            DType::F32 => S::F32,
            DType::I64 => S::I64,
            DType::U64 => S::U64,
            DType::F64 => S::F64,
            DType::C64 => S::C64,
            DType::F4 => S::F4,
            DType::F6_E2M3 => S::F6_E2M3,
            DType::F6_E3M2 => S::F6_E3M2,
            DType::C128 | DType::Ggml(_) => return None,
        })
    }
}

/// Why [`DType::bytes_for`] cannot give a byte count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeError {
    /// The tensor's bits do not fill a whole number of bytes (sub-byte dtypes).
    PartialByte {
        /// The total number of bits the elements take.
        bits: u128,
    },
    /// A block-quantised tensor whose element count is not a whole number of blocks.
    PartialBlock {
        /// The element count asked for.
        elements: u64,
        /// Elements per block of the dtype.
        block: u32,
    },
    /// The byte count does not fit in `u64`.
    Overflow,
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for DType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_matches_the_reference_crate() {
        for d in SAFETENSORS_DTYPES {
            assert_eq!(DType::from_safetensors(d.name()), Some(d));
            // The reference crate spells dtypes the same way and agrees on widths.
            assert_eq!(d.to_safetensors().unwrap().to_string(), d.name());
            assert_eq!(
                d.to_safetensors().unwrap().bitsize() as f64,
                d.bits_per_element(),
                "{d}"
            );
        }
        assert_eq!(DType::from_safetensors("bf16"), None);
        assert_eq!(DType::from_safetensors("F128"), None);
    }

    #[test]
    fn sub_byte_sizes_come_from_bits() {
        assert_eq!(DType::F4.bytes_for(6), Ok(3));
        assert_eq!(
            DType::F4.bytes_for(3),
            Err(SizeError::PartialByte { bits: 12 })
        );
        assert_eq!(DType::F6_E2M3.bytes_for(4), Ok(3));
        assert_eq!(DType::BF16.bytes_for(10), Ok(20));
        assert_eq!(DType::C64.bytes_for(2), Ok(16));
        assert_eq!(DType::F64.bytes_for(u64::MAX), Err(SizeError::Overflow));
    }
}
