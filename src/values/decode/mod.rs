//! Turning stored elements into values, one monomorphised decoder per encoding.
//!
//! Every decoder converts a whole block of little-endian bytes at once (the dtype is chosen once per chunk, never
//! per element). Values come out as f32 where that type holds every value of the dtype exactly, else as f64.
//! 8-bit and 4-bit encodings go through 256-entry tables built once from their definitions in [`minifloat`]
//! (F4 holds two values per byte; which nibble comes first does not matter: every statistic is independent of
//! element order).
//!
//! F6_E2M3/F6_E3M2 are not decoded: safetensors does not say how four 6-bit values are packed into three bytes.

pub mod ggml;
pub mod minifloat;

use super::accumulate::BLOCK_VALUES;
use super::kernel::{raw_block, Block, Lane, RawEncoding};
use crate::model::dtype::{DType, GgmlQuant};
use ggml::{Q4K, Q4_0, Q8_0};
use half::slice::HalfFloatSliceExt;
use minifloat::{bool_value, e2m1, e4m3fn, e4m3fnuz, e5m2, e5m2fnuz, e8m0, min_normal};
use std::sync::OnceLock;

/// How a dtype's bytes become values.
pub trait Decode: Sync {
    /// Bytes of one group of `VALUES` values (one element, or one byte holding two F4 elements).
    const BYTES: usize;
    /// Values in one group of `BYTES` bytes: 1, or 2 for F4 (two nibbles per byte).
    const VALUES: usize;
    /// f32 where it holds every value of the dtype exactly (it is twice as fast), else f64.
    type Value: Lane;
    /// Finite nonzero magnitudes below this are subnormal in the source encoding (0 when it has none).
    fn min_normal(&self) -> Self::Value;
    /// Decodes `bytes` (a whole number of groups) into `out`, which holds `bytes.len() / BYTES * VALUES` slots
    /// (at most `BLOCK_VALUES`).
    fn decode(&self, bytes: &[u8], out: &mut [Self::Value]);

    /// Summarises a block of finite values straight from its bytes, where a SIMD kernel reads this encoding;
    /// `None` sends the block through `decode` and the general kernel.
    #[inline(always)]
    fn raw_block(&self, _bytes: &[u8]) -> Option<Block> {
        None
    }

    /// The least and greatest element of `bytes`, exactly, for integer dtypes whose values f64 rounds
    /// (i64::MAX reads as 2^63, outside the dtype's range); `None` where the decoded values are exact.
    #[inline(always)]
    fn exact_extremes(&self, _bytes: &[u8]) -> Option<(i128, i128)> {
        None
    }

    /// `decode`, widened to f64 (for comparisons across dtypes); `out` may be of any length.
    fn decode_f64(&self, bytes: &[u8], out: &mut [f64]) {
        let mut values = [Self::Value::ZERO; BLOCK_VALUES];
        let block_bytes = BLOCK_VALUES / Self::VALUES * Self::BYTES;
        for (b, o) in bytes.chunks(block_bytes).zip(out.chunks_mut(BLOCK_VALUES)) {
            let n = b.len() / Self::BYTES * Self::VALUES;
            self.decode(b, &mut values[..n]);
            for (o, v) in o.iter_mut().zip(&values[..n]) {
                *o = v.to_f64();
            }
        }
    }
}

/// What a dtype's elements are decoded as, or why they are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// One value per element.
    Elements,
    /// C64 and C128: the real and imaginary F32 (F64) components, two values per element.
    Components,
    /// Not decoded at all (6-bit floats, most GGML block types); the string says why, for a report's reader.
    NotDecoded(&'static str),
}

/// Whether and how the values of `dtype` are decoded; `stats` reports the reason of a `NotDecoded` dtype instead of numbers.
pub fn decoding(dtype: DType) -> Decoding {
    match dtype {
        DType::C64 | DType::C128 => Decoding::Components,
        DType::F6_E2M3 | DType::F6_E3M2 => Decoding::NotDecoded(
            "not decoded: safetensors does not define how 6-bit values are packed into bytes",
        ),
        DType::Ggml(GgmlQuant::Q8_0 | GgmlQuant::Q4_0 | GgmlQuant::Q4_K) => Decoding::Elements,
        DType::Ggml(q) => Decoding::NotDecoded(not_decoded_yet(q)),
        _ => Decoding::Elements,
    }
}

/// "not decoded yet: ggml Q5_K", one static string per type (the reason travels as `&'static str`).
fn not_decoded_yet(q: GgmlQuant) -> &'static str {
    static REASONS: OnceLock<Vec<(GgmlQuant, String)>> = OnceLock::new();
    let reasons = REASONS.get_or_init(|| {
        GgmlQuant::all()
            .map(|q| {
                (
                    q,
                    format!("not decoded yet: ggml {} block-quantised type", q.name()),
                )
            })
            .collect()
    });
    reasons
        .iter()
        .find(|(r, _)| *r == q)
        .map(|(_, s)| s.as_str())
        .expect("every type is listed")
}

/// Calls `f` with the decoder for `dtype`, monomorphised per decoder type. `None` for dtypes not decoded.
pub fn with_decoder<R>(dtype: DType, f: impl DecoderFn<R>) -> Option<R> {
    Some(match dtype {
        DType::BOOL => f.call(Table8::new(&BOOL_TABLE, bool_value, 0.0)),
        DType::U8 => f.call(Table8::new(&U8_TABLE, |b| b as f64, 0.0)),
        DType::I8 => f.call(Table8::new(&I8_TABLE, |b| b as i8 as f64, 0.0)),
        DType::F8_E4M3 => f.call(Table8::new(&E4M3_TABLE, e4m3fn, min_normal(7))),
        DType::F8_E5M2 => f.call(Table8::new(&E5M2_TABLE, e5m2, min_normal(15))),
        DType::F8_E4M3FNUZ => f.call(Table8::new(&E4M3FNUZ_TABLE, e4m3fnuz, min_normal(8))),
        DType::F8_E5M2FNUZ => f.call(Table8::new(&E5M2FNUZ_TABLE, e5m2fnuz, min_normal(16))),
        DType::F8_E8M0 => f.call(Table8::new(&E8M0_TABLE, e8m0, 0.0)),
        DType::F4 => f.call(F4Pair::new()),
        DType::I16 => f.call(I16),
        DType::U16 => f.call(U16),
        DType::F16 => f.call(F16),
        DType::BF16 => f.call(Bf16),
        DType::I32 => f.call(I32),
        DType::U32 => f.call(U32),
        DType::F32 | DType::C64 => f.call(F32),
        DType::I64 => f.call(I64),
        DType::U64 => f.call(U64),
        DType::F64 | DType::C128 => f.call(F64),
        DType::Ggml(GgmlQuant::Q8_0) => f.call(Q8_0),
        DType::Ggml(GgmlQuant::Q4_0) => f.call(Q4_0),
        DType::Ggml(GgmlQuant::Q4_K) => f.call(Q4K),
        DType::F6_E2M3 | DType::F6_E3M2 | DType::Ggml(_) => return None,
    })
}

/// A generic callback (closures cannot be generic over the decoder type).
pub trait DecoderFn<R> {
    /// Runs the callback with one concrete decoder.
    fn call<D: Decode>(self, decoder: D) -> R;
}

/// Every 8-bit code's value; f32 holds all of them exactly (the widest, E8M0, spans 2^-127..2^127).
type Table = OnceLock<[f32; 256]>;
static BOOL_TABLE: Table = OnceLock::new();
static U8_TABLE: Table = OnceLock::new();
static I8_TABLE: Table = OnceLock::new();
static E4M3_TABLE: Table = OnceLock::new();
static E5M2_TABLE: Table = OnceLock::new();
static E4M3FNUZ_TABLE: Table = OnceLock::new();
static E5M2FNUZ_TABLE: Table = OnceLock::new();
static E8M0_TABLE: Table = OnceLock::new();

/// Any 8-bit encoding: one table lookup per element.
pub struct Table8 {
    table: &'static [f32; 256],
    min_normal: f32,
}

impl Table8 {
    fn new(cell: &'static Table, decode: fn(u8) -> f64, min_normal: f64) -> Self {
        let table = cell.get_or_init(|| std::array::from_fn(|b| decode(b as u8) as f32));
        Table8 {
            table,
            min_normal: min_normal as f32,
        }
    }
}

impl Decode for Table8 {
    const BYTES: usize = 1;
    const VALUES: usize = 1;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        self.min_normal
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        for (o, &b) in out.iter_mut().zip(bytes) {
            *o = self.table[b as usize];
        }
    }
}

/// MX FP4: a byte holds two E2M1 values; the table maps a byte to both.
pub struct F4Pair {
    table: &'static [[f32; 2]; 256],
}

static F4_TABLE: OnceLock<[[f32; 2]; 256]> = OnceLock::new();

impl F4Pair {
    fn new() -> Self {
        F4Pair {
            table: F4_TABLE.get_or_init(|| {
                std::array::from_fn(|b| [e2m1(b as u8 & 0xF) as f32, e2m1((b as u8) >> 4) as f32])
            }),
        }
    }
}

impl Decode for F4Pair {
    const BYTES: usize = 1;
    const VALUES: usize = 2;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        min_normal(1) as f32
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        for (o, &b) in out.chunks_exact_mut(2).zip(bytes) {
            o.copy_from_slice(&self.table[b as usize]);
        }
    }
}

/// Fixed-width little-endian types decoded with plain conversions.
macro_rules! le_decoder {
    ($name:ident, $bytes:expr, $value:ty, $min_normal:expr, |$b:ident| $convert:expr) => {
        le_decoder!(
            $name,
            $bytes,
            $value,
            $min_normal,
            |$b| $convert,
            |_bytes| None
        );
    };
    ($name:ident, $bytes:expr, $value:ty, $min_normal:expr, |$b:ident| $convert:expr, |$raw:ident| $summarise:expr) => {
        #[doc = concat!("Decoder of little-endian ", stringify!($name), " elements (", stringify!($bytes), " bytes each).")]
        pub struct $name;
        impl Decode for $name {
            const BYTES: usize = $bytes;
            const VALUES: usize = 1;
            type Value = $value;
            fn min_normal(&self) -> $value {
                $min_normal
            }
            #[inline(always)]
            fn raw_block(&self, $raw: &[u8]) -> Option<Block> {
                $summarise
            }
            #[inline(always)]
            fn decode(&self, bytes: &[u8], out: &mut [$value]) {
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact($bytes)) {
                    let $b: [u8; $bytes] = c.try_into().unwrap();
                    *o = $convert;
                }
            }
        }
    };
}

le_decoder!(
    Bf16,
    2,
    f32,
    f32::MIN_POSITIVE,
    |b| f32::from_bits((u16::from_le_bytes(b) as u32) << 16),
    |bytes| raw_block(RawEncoding::Bf16, bytes, f32::MIN_POSITIVE)
);
le_decoder!(
    F32,
    4,
    f32,
    f32::MIN_POSITIVE,
    |b| f32::from_le_bytes(b),
    |bytes| raw_block(RawEncoding::F32, bytes, f32::MIN_POSITIVE)
);
le_decoder!(F64, 8, f64, f64::MIN_POSITIVE, |b| f64::from_le_bytes(b));
le_decoder!(I32, 4, f64, 0.0, |b| i32::from_le_bytes(b) as f64);
le_decoder!(U32, 4, f64, 0.0, |b| u32::from_le_bytes(b) as f64);
/// 64-bit integers: values as f64 for the moments, extremes read exactly.
macro_rules! int64_decoder {
    ($name:ident, $int:ty) => {
        #[doc = concat!("Decoder of little-endian ", stringify!($int), " elements, extremes kept exactly.")]
        pub struct $name;
        impl Decode for $name {
            const BYTES: usize = 8;
            const VALUES: usize = 1;
            type Value = f64;
            fn min_normal(&self) -> f64 {
                0.0
            }
            #[inline(always)]
            fn decode(&self, bytes: &[u8], out: &mut [f64]) {
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                    *o = <$int>::from_le_bytes(c.try_into().unwrap()) as f64;
                }
            }
            fn exact_extremes(&self, bytes: &[u8]) -> Option<(i128, i128)> {
                let ints = bytes
                    .chunks_exact(8)
                    .map(|c| <$int>::from_le_bytes(c.try_into().unwrap()));
                let (lo, hi) = ints.fold((<$int>::MAX, <$int>::MIN), |(lo, hi), x| {
                    (lo.min(x), hi.max(x))
                });
                Some((lo as i128, hi as i128))
            }
        }
    };
}
int64_decoder!(I64, i64);
int64_decoder!(U64, u64);
le_decoder!(I16, 2, f32, 0.0, |b| i16::from_le_bytes(b) as f32);
le_decoder!(U16, 2, f32, 0.0, |b| u16::from_le_bytes(b) as f32);

/// IEEE half: converted a block at a time by `half`, which uses the CPU's conversion instructions (F16C) when
/// it has them.
pub struct F16;

impl Decode for F16 {
    const BYTES: usize = 2;
    const VALUES: usize = 1;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        min_normal(15) as f32
    }
    #[inline(always)]
    fn raw_block(&self, bytes: &[u8]) -> Option<Block> {
        raw_block(RawEncoding::F16, bytes, self.min_normal())
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        let mut halves = [half::f16::ZERO; BLOCK_VALUES];
        let halves = &mut halves[..out.len()];
        for (h, c) in halves.iter_mut().zip(bytes.chunks_exact(2)) {
            *h = half::f16::from_bits(u16::from_le_bytes([c[0], c[1]]));
        }
        halves.convert_to_f32_slice(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes every byte value of an 8-bit dtype through the public entry point.
    fn all_bytes(dtype: DType) -> Vec<f64> {
        struct Run;
        impl DecoderFn<Vec<f64>> for Run {
            fn call<D: Decode>(self, d: D) -> Vec<f64> {
                let bytes: Vec<u8> = (0..=255).collect();
                let mut out = vec![D::Value::ZERO; 256 / D::BYTES * D::VALUES];
                d.decode(&bytes, &mut out);
                out.iter().map(|x| x.to_f64()).collect()
            }
        }
        with_decoder(dtype, Run).unwrap()
    }

    #[test]
    fn tables_hold_each_codes_value() {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        type Definition = fn(u8) -> f64;
        let cases: [(DType, Definition); 8] = [
            (DType::F8_E4M3, e4m3fn),
            (DType::F8_E5M2, e5m2),
            (DType::F8_E4M3FNUZ, e4m3fnuz),
            (DType::F8_E5M2FNUZ, e5m2fnuz),
            (DType::F8_E8M0, e8m0),
            (DType::BOOL, bool_value),
            (DType::U8, |b| b as f64),
            (DType::I8, |b| b as i8 as f64),
        ];
        for (dtype, definition) in cases {
            let v = all_bytes(dtype);
            for b in 0..=255u8 {
                assert!(same(v[b as usize], definition(b)), "{dtype} {b:#04x}");
            }
        }
        assert_eq!(all_bytes(DType::F8_E4M3)[0x7E], 448.0);
    }

    #[test]
    fn f4_decodes_both_nibbles() {
        let v = all_bytes(DType::F4);
        let magnitudes = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];
        for b in 0..256usize {
            let expect = |n: usize| {
                let m = magnitudes[n & 7];
                if n & 8 != 0 {
                    -m
                } else {
                    m
                }
            };
            assert_eq!(v[2 * b], expect(b & 0xF));
            assert_eq!(v[2 * b + 1], expect(b >> 4));
        }
    }

    #[test]
    fn a_decoder_exists_exactly_for_the_dtypes_said_to_be_decoded() {
        struct Unit;
        impl DecoderFn<()> for Unit {
            fn call<D: Decode>(self, _: D) {}
        }
        let ggml = GgmlQuant::all().map(DType::Ggml);
        for d in crate::model::dtype::SAFETENSORS_DTYPES
            .into_iter()
            .chain(ggml)
        {
            let said = !matches!(decoding(d), Decoding::NotDecoded(_));
            assert_eq!(with_decoder(d, Unit).is_some(), said, "{d}");
        }
    }

    #[test]
    fn other_ggml_types_say_their_name() {
        assert_eq!(
            decoding(DType::Ggml(GgmlQuant::Q6_K)),
            Decoding::NotDecoded("not decoded yet: ggml Q6_K block-quantised type")
        );
    }

    #[test]
    fn six_bit_floats_are_not_decoded() {
        assert!(matches!(decoding(DType::F6_E2M3), Decoding::NotDecoded(_)));
        struct Unit;
        impl DecoderFn<()> for Unit {
            fn call<D: Decode>(self, _: D) {}
        }
        assert!(with_decoder(DType::F6_E3M2, Unit).is_none());
    }
}
