//! `stats` decodes every dtype right: each tensor's statistics equal those computed here, in f64, from the
//! values the test wrote. Expected values come from the test's own decoding (f32 bit assembly, literal tables,
//! `as f64` casts), never from paramscope's decoder.

mod gguf;
mod lines;
mod memory;
mod scan;

use crate::common;
use crate::common::stats_expect::{assert_stats, expected, stats_json, tensor};
use crate::common::Lcg;
use half::{bf16, f16};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;

fn next_u64(rng: &mut Lcg) -> u64 {
    rng.next_f32(1.0);
    rng.0
}

/// 2^k as an f32, built from its bits.
fn pow2_f32(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// A sign/exponent/mantissa minifloat code as the f32 with the same value, assembled bit by bit.
fn minifloat_via_f32(code: u8, e_bits: u32, m_bits: u32, bias: i32) -> f64 {
    let sign = ((code >> (e_bits + m_bits)) & 1) as u32;
    let e = (code >> m_bits) as u32 & ((1 << e_bits) - 1);
    let m = code as u32 & ((1 << m_bits) - 1);
    let magnitude = if e == 0 {
        m as f32 * pow2_f32(1 - bias - m_bits as i32)
    } else {
        f32::from_bits((((e as i32 - bias + 127) as u32) << 23) | (m << (23 - m_bits)))
    };
    (if sign == 1 { -magnitude } else { magnitude }) as f64
}

/// The exponent field of a minifloat code is zero and its mantissa is not.
fn minifloat_subnormal(code: u8, e_bits: u32, m_bits: u32) -> bool {
    (code >> m_bits) & ((1 << e_bits) - 1) == 0 && code & ((1 << m_bits) - 1) != 0
}

/// Every 8-bit code once, then 500 more at random.
fn codes(rng: &mut Lcg) -> Vec<u8> {
    let mut c: Vec<u8> = (0..=255).collect();
    c.extend((0..500).map(|_| (next_u64(rng) >> 56) as u8));
    c
}

struct Case {
    name: &'static str,
    dtype: DType,
    bytes: Vec<u8>,
    elements: u64,
    values: Vec<f64>,
    subnormal: Option<u64>,
}

fn float8_case(
    name: &'static str,
    dtype: DType,
    rng: &mut Lcg,
    layout: (u32, u32, i32),
    special: fn(u8) -> Option<f64>,
) -> Case {
    let (e_bits, m_bits, bias) = layout;
    let bytes = codes(rng);
    let values: Vec<f64> = bytes
        .iter()
        .map(|&b| special(b).unwrap_or_else(|| minifloat_via_f32(b, e_bits, m_bits, bias)))
        .collect();
    let subnormal = bytes
        .iter()
        .filter(|&&b| special(b).is_none() && minifloat_subnormal(b, e_bits, m_bits))
        .count() as u64;
    Case {
        name,
        dtype,
        elements: bytes.len() as u64,
        bytes,
        values,
        subnormal: Some(subnormal),
    }
}

fn int_case<T: Copy>(
    name: &'static str,
    dtype: DType,
    items: Vec<T>,
    to_le: fn(T) -> Vec<u8>,
    to_f64: fn(T) -> f64,
) -> Case {
    Case {
        name,
        dtype,
        elements: items.len() as u64,
        bytes: items.iter().flat_map(|&x| to_le(x)).collect(),
        values: items.iter().map(|&x| to_f64(x)).collect(),
        subnormal: None,
    }
}

fn cases() -> Vec<Case> {
    let mut rng = Lcg(2024);
    let mut out = Vec::new();

    // F32: random values and every edge: NaN, ±Inf, ±0, subnormals, the smallest normal, a huge value.
    let mut f32s: Vec<f32> = (0..997).map(|_| rng.next_f32(3.0)).collect();
    f32s.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        1e-40,
        -1e-45,
        f32::MIN_POSITIVE,
        3.0e38,
    ]);
    out.push(Case {
        name: "f32",
        dtype: DType::F32,
        elements: f32s.len() as u64,
        bytes: f32s.iter().flat_map(|x| x.to_le_bytes()).collect(),
        values: f32s.iter().map(|&x| x as f64).collect(),
        subnormal: Some(f32s.iter().filter(|x| x.is_subnormal()).count() as u64),
    });

    let mut f64s: Vec<f64> = (0..500).map(|_| rng.next_f32(1.0) as f64 * 1e6).collect();
    f64s.extend([
        f64::NAN,
        f64::NEG_INFINITY,
        -0.0,
        5e-324,
        -1e-310,
        f64::MIN_POSITIVE,
    ]);
    out.push(Case {
        name: "f64",
        dtype: DType::F64,
        elements: f64s.len() as u64,
        bytes: f64s.iter().flat_map(|x| x.to_le_bytes()).collect(),
        values: f64s.clone(),
        subnormal: Some(f64s.iter().filter(|x| x.is_subnormal()).count() as u64),
    });

    // F16 and BF16 from values they represent exactly, so the expected values are the values written.
    let mut halfs: Vec<f64> = (0..800)
        .map(|_| ((next_u64(&mut rng) % 4001) as f64 - 2000.0) / 256.0)
        .collect();
    halfs.extend([
        f64::NAN,
        f64::INFINITY,
        -0.0,
        0.0,
        3.0 * 2f64.powi(-24),
        -(2f64.powi(-24)),
        2f64.powi(-14),
        65504.0,
    ]);
    let f16_bits: Vec<u16> = halfs.iter().map(|&x| f16::from_f64(x).to_bits()).collect();
    assert!(f16_bits
        .iter()
        .zip(&halfs)
        .all(|(&b, &x)| x.is_nan() || f16::from_bits(b).to_f64() == x));
    out.push(Case {
        name: "f16",
        dtype: DType::F16,
        elements: halfs.len() as u64,
        bytes: f16_bits.iter().flat_map(|b| b.to_le_bytes()).collect(),
        values: halfs.clone(),
        subnormal: Some(
            f16_bits
                .iter()
                .filter(|&&b| (b >> 10) & 0x1F == 0 && b & 0x3FF != 0)
                .count() as u64,
        ),
    });

    let mut brains: Vec<f64> = (0..800)
        .map(|_| ((next_u64(&mut rng) % 511) as f64 - 255.0) / 64.0)
        .collect();
    brains.extend([
        f64::NAN,
        f64::NEG_INFINITY,
        -0.0,
        3.0 * 2f64.powi(-133),
        2f64.powi(-126),
        2f64.powi(126),
    ]);
    let bf16_bits: Vec<u16> = brains
        .iter()
        .map(|&x| bf16::from_f64(x).to_bits())
        .collect();
    assert!(bf16_bits
        .iter()
        .zip(&brains)
        .all(|(&b, &x)| x.is_nan() || bf16::from_bits(b).to_f64() == x));
    out.push(Case {
        name: "bf16",
        dtype: DType::BF16,
        elements: brains.len() as u64,
        bytes: bf16_bits.iter().flat_map(|b| b.to_le_bytes()).collect(),
        values: brains,
        subnormal: Some(
            bf16_bits
                .iter()
                .filter(|&&b| (b >> 7) & 0xFF == 0 && b & 0x7F != 0)
                .count() as u64,
        ),
    });

    // OCP FP8 E4M3 ("fn"): no infinities; S.1111.111 is NaN.
    out.push(float8_case(
        "e4m3",
        DType::F8_E4M3,
        &mut rng,
        (4, 3, 7),
        |b| (b & 0x7F == 0x7F).then_some(f64::NAN),
    ));
    out.push(float8_case(
        "e5m2",
        DType::F8_E5M2,
        &mut rng,
        (5, 2, 15),
        |b| match (b >> 2 & 0x1F, b & 3, b >> 7) {
            (31, 0, 0) => Some(f64::INFINITY),
            (31, 0, _) => Some(f64::NEG_INFINITY),
            (31, _, _) => Some(f64::NAN),
            _ => None,
        },
    ));
    out.push(float8_case(
        "e4m3fnuz",
        DType::F8_E4M3FNUZ,
        &mut rng,
        (4, 3, 8),
        |b| (b == 0x80).then_some(f64::NAN),
    ));
    out.push(float8_case(
        "e5m2fnuz",
        DType::F8_E5M2FNUZ,
        &mut rng,
        (5, 2, 16),
        |b| (b == 0x80).then_some(f64::NAN),
    ));

    let e8m0 = codes(&mut rng);
    out.push(Case {
        name: "e8m0",
        dtype: DType::F8_E8M0,
        elements: e8m0.len() as u64,
        values: e8m0
            .iter()
            .map(|&b| match b {
                0xFF => f64::NAN,
                _ => f64::from_bits((b as u64 + 1023 - 127) << 52),
            })
            .collect(),
        bytes: e8m0,
        subnormal: None,
    });

    // MX FP4 (E2M1): two values per byte, ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}; 0.5 is the only subnormal.
    let e2m1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];
    let nibble = |n: u8| {
        let m = e2m1[(n & 7) as usize];
        if n & 8 != 0 {
            -m
        } else {
            m
        }
    };
    let f4: Vec<u8> = codes(&mut rng);
    out.push(Case {
        name: "f4",
        dtype: DType::F4,
        elements: 2 * f4.len() as u64,
        values: f4
            .iter()
            .flat_map(|&b| [nibble(b & 0xF), nibble(b >> 4)])
            .collect(),
        subnormal: Some(
            f4.iter()
                .map(|&b| (b & 7 == 1) as u64 + (b >> 4 & 7 == 1) as u64)
                .sum(),
        ),
        bytes: f4,
    });

    // C64: the real and imaginary F32 parts are the values.
    let mut parts: Vec<f32> = (0..100).map(|_| rng.next_f32(2.0)).collect();
    parts[7] = f32::NAN;
    parts[8] = 1e-42;
    out.push(Case {
        name: "c64",
        dtype: DType::C64,
        elements: 50,
        bytes: parts.iter().flat_map(|x| x.to_le_bytes()).collect(),
        values: parts.iter().map(|&x| x as f64).collect(),
        subnormal: Some(1),
    });

    out.push(int_case(
        "bool",
        DType::BOOL,
        vec![0u8, 1, 1, 0, 1, 1, 1],
        |x| vec![x],
        |x| x as f64,
    ));
    out.push(int_case(
        "u8",
        DType::U8,
        (0..=255u8).collect(),
        |x| vec![x],
        |x| x as f64,
    ));
    out.push(int_case(
        "i8",
        DType::I8,
        (-128..=127i8).collect(),
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let mut i16s: Vec<i16> = (0..300).map(|_| next_u64(&mut rng) as i16).collect();
    i16s.extend([i16::MIN, i16::MAX, 0]);
    out.push(int_case(
        "i16",
        DType::I16,
        i16s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let mut u16s: Vec<u16> = (0..300).map(|_| next_u64(&mut rng) as u16).collect();
    u16s.extend([u16::MAX, 0]);
    out.push(int_case(
        "u16",
        DType::U16,
        u16s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let mut i32s: Vec<i32> = (0..300).map(|_| next_u64(&mut rng) as i32).collect();
    i32s.extend([i32::MIN, i32::MAX, 0]);
    out.push(int_case(
        "i32",
        DType::I32,
        i32s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let u32s: Vec<u32> = (0..300).map(|_| next_u64(&mut rng) as u32).collect();
    out.push(int_case(
        "u32",
        DType::U32,
        u32s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let mut i64s: Vec<i64> = (0..300).map(|_| next_u64(&mut rng) as i64 >> 8).collect();
    i64s.extend([i64::MIN, i64::MAX, 0]);
    out.push(int_case(
        "i64",
        DType::I64,
        i64s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    let mut u64s: Vec<u64> = (0..300).map(|_| next_u64(&mut rng) >> 3).collect();
    u64s.push(u64::MAX);
    out.push(int_case(
        "u64",
        DType::U64,
        u64s,
        |x| x.to_le_bytes().to_vec(),
        |x| x as f64,
    ));
    out
}

#[test]
fn every_dtype_matches_statistics_computed_in_the_test() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.safetensors");
    let cases = cases();
    let mut w = SafetensorsWriter::new();
    for c in &cases {
        w = w.tensor_with_data(c.name, c.dtype, &[c.elements], c.bytes.clone());
    }
    // Four F6 values in three bytes: not decoded, and said so.
    w = w.tensor_with_data("f6", DType::F6_E2M3, &[4], vec![1, 2, 3]);
    w.write(&path).unwrap();

    // A small chunk size puts several chunks in most tensors.
    let report = stats_json(&path, &["--chunk-bytes", "256"]);
    for c in &cases {
        let got = tensor(&report, c.name);
        assert_eq!(got["decoded"], true, "{}", c.name);
        assert_eq!(got["elements"], c.elements, "{}", c.name);
        assert_stats(got, &expected(&c.values, c.subnormal));
    }
    let f6 = tensor(&report, "f6");
    assert_eq!(f6["decoded"], false);
    assert!(f6["unit"].as_str().unwrap().starts_with("not decoded"));
    assert_eq!(f6["values"], 0);
    assert!(f6["min"].is_null());
    assert_eq!(report["flagged"]["not_decoded"], serde_json::json!(["f6"]));
}

#[test]
fn fp8_e4m3_edges_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e4m3.safetensors");
    // 448, -448, NaN, -NaN, +0, -0, the smallest subnormal 2^-9, the smallest normal 2^-6.
    let bytes = vec![0x7E, 0xFE, 0x7F, 0xFF, 0x00, 0x80, 0x01, 0x08];
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F8_E4M3, &[8], bytes)
        .write(&path)
        .unwrap();
    let report = stats_json(&path, &[]);
    let w = tensor(&report, "w");
    assert_eq!(w["max"], 448.0);
    assert_eq!(w["min"], -448.0);
    assert_eq!(w["absmax"], 448.0);
    assert_eq!(w["nan"], 2);
    assert_eq!(
        (w["pos_inf"].as_u64(), w["neg_inf"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(w["zeros"], 2);
    assert_eq!(w["subnormal"], 1);
    assert_eq!(w["finite"], 6);
    let mean = (2f64.powi(-9) + 2f64.powi(-6)) / 6.0;
    assert!((w["mean"].as_f64().unwrap() - mean).abs() < 1e-15);
    assert_eq!(report["flagged"]["nan"], serde_json::json!(["w"]));
}

#[test]
fn sixty_four_bit_integer_extremes_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ints.safetensors");
    // Neither i64::MAX nor u64::MAX is an f64 (both round up, out of the dtype's range), nor is 2^53 + 1.
    let i64s = [i64::MIN, 0, i64::MAX - 1];
    let u64s = [u64::MAX, 7, (1 << 53) + 1];
    let small = [-(1i64 << 53) - 1, 1];
    let le = |xs: &[i64]| xs.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    SafetensorsWriter::new()
        .tensor_with_data("i", DType::I64, &[3], le(&i64s))
        .tensor_with_data(
            "u",
            DType::U64,
            &[3],
            u64s.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
        .tensor_with_data("s", DType::I64, &[2], le(&small))
        .write(&path)
        .unwrap();
    let json = common::paramscope()
        .args(["stats", "--format", "json", "--chunk-bytes", "8"])
        .arg(&path)
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(json).unwrap();
    // Read the numbers as text: a JSON parser might itself round them through f64.
    let field = |tensor: &str, key: &str| -> String {
        let at = text.find(&format!("\"name\": \"{tensor}\"")).unwrap();
        let from = at + text[at..].find(&format!("\"{key}\": ")).unwrap() + key.len() + 4;
        let end = from + text[from..].find([',', '\n']).unwrap();
        text[from..end].to_string()
    };
    assert_eq!(field("i", "min"), i64::MIN.to_string());
    assert_eq!(field("i", "max"), (i64::MAX - 1).to_string());
    assert_eq!(field("i", "absmax"), (1u64 << 63).to_string());
    assert_eq!(field("u", "min"), "7");
    assert_eq!(field("u", "max"), u64::MAX.to_string());
    assert_eq!(field("u", "absmax"), u64::MAX.to_string());
    assert_eq!(field("s", "min"), "-9007199254740993");
    assert_eq!(field("s", "absmax"), "9007199254740993");
    // The I64 row of the dtype table covers both I64 tensors.
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let i64_row = report["dtypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dtype"] == "I64")
        .unwrap();
    assert_eq!(i64_row["min"].as_i64(), Some(i64::MIN));
    assert_eq!(i64_row["max"].as_i64(), Some(i64::MAX - 1));
}
