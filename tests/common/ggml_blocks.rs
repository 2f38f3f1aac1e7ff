//! ggml quantised blocks built field by field for tests, each with the values ggml's reference
//! `dequantize_row_*` gives for it (ggml computes them in f32: the same arithmetic is done here), so that
//! `stats` and `diff` can be checked against values that never went through paramscope's decoders.

use super::Lcg;
use half::f16;

/// A random finite F16 scale with magnitude below `limit`, and its value.
fn scale(rng: &mut Lcg, limit: f32) -> ([u8; 2], f32) {
    let h = f16::from_f32(rng.next_f32(limit));
    (h.to_bits().to_le_bytes(), h.to_f32())
}

fn byte(rng: &mut Lcg) -> u8 {
    ((rng.next_f32(1.0) + 1.0) * 128.0) as u8
}

/// `blocks` Q8_0 blocks: F16 d, 32 signed quants, value q·d.
pub fn q8_0(rng: &mut Lcg, blocks: usize) -> (Vec<u8>, Vec<f32>) {
    let (mut bytes, mut values) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        let (d_bytes, d) = scale(rng, 0.05);
        bytes.extend_from_slice(&d_bytes);
        for _ in 0..32 {
            let q = byte(rng);
            bytes.push(q);
            values.push(q as i8 as f32 * d);
        }
    }
    (bytes, values)
}

/// `blocks` Q4_0 blocks: F16 d, 16 bytes whose low nibbles are elements 0..16 and high nibbles 16..32;
/// value (q − 8)·d.
pub fn q4_0(rng: &mut Lcg, blocks: usize) -> (Vec<u8>, Vec<f32>) {
    let (mut bytes, mut values) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        let (d_bytes, d) = scale(rng, 0.05);
        bytes.extend_from_slice(&d_bytes);
        let quants: Vec<u8> = (0..32).map(|_| byte(rng) & 0xF).collect();
        for j in 0..16 {
            bytes.push(quants[j] | (quants[j + 16] << 4));
        }
        values.extend(quants.iter().map(|&q| (q as i32 - 8) as f32 * d));
    }
    (bytes, values)
}

/// `blocks` Q4_K super-blocks: F16 d and dmin, eight 6-bit scales and mins packed as ggml's
/// `quantize_row_q4_K_ref` packs them, 128 bytes of nibbles (32 bytes per pair of 32-value sub-blocks: low
/// nibbles the first, high the second); value d·scale·q − dmin·min.
pub fn q4_k(rng: &mut Lcg, blocks: usize) -> (Vec<u8>, Vec<f32>) {
    let (mut bytes, mut values) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        let (d_bytes, d) = scale(rng, 0.01);
        let (m_bytes, dmin) = scale(rng, 0.01);
        let sc: Vec<u8> = (0..8).map(|_| byte(rng) & 63).collect();
        let m: Vec<u8> = (0..8).map(|_| byte(rng) & 63).collect();
        let mut packed = [0u8; 12];
        for j in 0..8 {
            if j < 4 {
                packed[j] = sc[j];
                packed[j + 4] = m[j];
            } else {
                packed[j + 4] = (sc[j] & 0xF) | ((m[j] & 0xF) << 4);
                packed[j - 4] |= (sc[j] >> 4) << 6;
                packed[j] |= (m[j] >> 4) << 6;
            }
        }
        let quants: Vec<u8> = (0..256).map(|_| byte(rng) & 0xF).collect();
        let mut qs = [0u8; 128];
        for (i, &q) in quants.iter().enumerate() {
            let s = i / 32;
            qs[32 * (s / 2) + i % 32] |= q << (4 * (s % 2));
        }
        bytes.extend_from_slice(&d_bytes);
        bytes.extend_from_slice(&m_bytes);
        bytes.extend_from_slice(&packed);
        bytes.extend_from_slice(&qs);
        for (i, &q) in quants.iter().enumerate() {
            let s = i / 32;
            values.push(d * sc[s] as f32 * q as f32 - dmin * m[s] as f32);
        }
    }
    (bytes, values)
}
