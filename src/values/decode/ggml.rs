//! ggml block-quantised types decoded as ggml's reference `dequantize_row_*` does (ggml-quants.c): each block
//! holds F16 scale(s) and small integer quants; a value is scale × quant (minus a minimum for the K types),
//! computed in f32 in the same order as ggml so that values agree bit for bit.

use super::Decode;
use half::f16;

fn half_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([bytes[at], bytes[at + 1]])).to_f32()
}

/// `block_q8_0`: F16 `d`, 32 signed bytes; value = q × d.
pub struct Q8_0;

impl Decode for Q8_0 {
    const BYTES: usize = 34;
    const VALUES: usize = 32;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        0.0
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        for (b, o) in bytes.chunks_exact(34).zip(out.chunks_exact_mut(32)) {
            let d = half_at(b, 0);
            for (o, &q) in o.iter_mut().zip(&b[2..]) {
                *o = q as i8 as f32 * d;
            }
        }
    }
}

/// `block_q4_0`: F16 `d`, 16 bytes of nibbles; value = (q − 8) × d. Byte j holds element j in its low nibble
/// and element j + 16 in its high nibble.
pub struct Q4_0;

impl Decode for Q4_0 {
    const BYTES: usize = 18;
    const VALUES: usize = 32;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        0.0
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        for (b, o) in bytes.chunks_exact(18).zip(out.chunks_exact_mut(32)) {
            let d = half_at(b, 0);
            let (low, high) = o.split_at_mut(16);
            for ((l, h), &q) in low.iter_mut().zip(high).zip(&b[2..]) {
                *l = ((q & 0xF) as i32 - 8) as f32 * d;
                *h = ((q >> 4) as i32 - 8) as f32 * d;
            }
        }
    }
}

/// `block_q4_K`: a super-block of 256 values in 8 sub-blocks of 32: F16 `d`, F16 `dmin`, 12 bytes packing eight
/// 6-bit scales and eight 6-bit mins, 128 bytes of nibbles. Each 32 quant bytes hold two sub-blocks: the low
/// nibbles the first, the high nibbles the second. Value = d × scale × q − dmin × min.
pub struct Q4K;

impl Decode for Q4K {
    const BYTES: usize = 144;
    const VALUES: usize = 256;
    type Value = f32;
    fn min_normal(&self) -> f32 {
        0.0
    }
    #[inline(always)]
    fn decode(&self, bytes: &[u8], out: &mut [f32]) {
        for (b, o) in bytes.chunks_exact(144).zip(out.chunks_exact_mut(256)) {
            let d = half_at(b, 0);
            let dmin = half_at(b, 2);
            let scales: &[u8; 12] = b[4..16].try_into().unwrap();
            for (pair, (q, o)) in b[16..]
                .chunks_exact(32)
                .zip(o.chunks_exact_mut(64))
                .enumerate()
            {
                let (sc1, m1) = scale_min_k4(2 * pair, scales);
                let (sc2, m2) = scale_min_k4(2 * pair + 1, scales);
                let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
                let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
                let (low, high) = o.split_at_mut(32);
                for ((l, h), &q) in low.iter_mut().zip(high).zip(q) {
                    *l = d1 * (q & 0xF) as f32 - m1;
                    *h = d2 * (q >> 4) as f32 - m2;
                }
            }
        }
    }
}

/// ggml's `get_scale_min_k4`: sub-blocks 0–3 keep their 6-bit scale and min in the low bits of bytes j and
/// j + 4; sub-blocks 4–7 take 4 bits from byte j + 4 and their top 2 bits from the spare top bits of the
/// bytes of sub-block j − 4.
pub fn scale_min_k4(j: usize, q: &[u8; 12]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f16_bytes(x: f32) -> [u8; 2] {
        let h = f16::from_f32(x);
        assert_eq!(h.to_f32(), x, "test scales are exact in F16");
        h.to_bits().to_le_bytes()
    }

    fn decode<D: Decode<Value = f32>>(d: D, bytes: &[u8]) -> Vec<f32> {
        let mut out = vec![0.0; bytes.len() / D::BYTES * D::VALUES];
        d.decode(bytes, &mut out);
        out
    }

    #[test]
    fn q8_0_is_signed_byte_times_scale() {
        let mut block = f16_bytes(0.5).to_vec();
        block.extend((0..32).map(|i| (i as i8 - 16) as u8));
        let mut two = block.clone();
        two.extend_from_slice(&f16_bytes(-3.0));
        two.extend([127u8, 128, 255, 0].iter().cycle().take(32));
        let v = decode(Q8_0, &two);
        for (i, &x) in v[..32].iter().enumerate() {
            assert_eq!(x, (i as f32 - 16.0) * 0.5);
        }
        assert_eq!(&v[32..36], &[-381.0, 384.0, 3.0, 0.0]);
    }

    #[test]
    fn q4_0_low_nibbles_first_then_high() {
        let mut block = f16_bytes(0.25).to_vec();
        block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let v = decode(Q4_0, &block);
        for j in 0..16 {
            assert_eq!(v[j], (j as f32 - 8.0) * 0.25, "element {j}");
            assert_eq!(v[j + 16], (7.0 - j as f32) * 0.25, "element {}", j + 16);
        }
    }

    /// Packs scales and mins as ggml's `quantize_row_q4_K_ref` does (the inverse of `get_scale_min_k4`).
    fn pack_scales(sc: [u8; 8], m: [u8; 8]) -> [u8; 12] {
        let mut out = [0u8; 12];
        for j in 0..8 {
            if j < 4 {
                out[j] = sc[j];
                out[j + 4] = m[j];
            } else {
                out[j + 4] = (sc[j] & 0xF) | ((m[j] & 0xF) << 4);
                out[j - 4] |= (sc[j] >> 4) << 6;
                out[j] |= (m[j] >> 4) << 6;
            }
        }
        out
    }

    #[test]
    fn scales_and_mins_unpack_as_packed() {
        let sc = [1, 63, 17, 40, 5, 33, 62, 48];
        let m = [0, 2, 63, 31, 60, 16, 47, 1];
        let packed = pack_scales(sc, m);
        for j in 0..8 {
            assert_eq!(scale_min_k4(j, &packed), (sc[j], m[j]), "sub-block {j}");
        }
    }

    #[test]
    fn q4_k_applies_each_sub_blocks_scale_and_min() {
        let (d, dmin) = (0.5f32, 0.25f32);
        let sc = [1u8, 63, 17, 40, 5, 33, 62, 48];
        let m = [0u8, 2, 63, 31, 60, 16, 47, 1];
        let quant = |i: usize| ((i * 7 + i / 32) % 16) as u8;
        let mut block = f16_bytes(d).to_vec();
        block.extend_from_slice(&f16_bytes(dmin));
        block.extend_from_slice(&pack_scales(sc, m));
        // Sub-block s lives in quant bytes 32·(s/2)..+32, low nibbles for even s, high for odd.
        let mut qs = [0u8; 128];
        for i in 0..256 {
            let (s, l) = (i / 32, i % 32);
            let shift = if s % 2 == 0 { 0 } else { 4 };
            qs[32 * (s / 2) + l] |= quant(i) << shift;
        }
        block.extend_from_slice(&qs);
        assert_eq!(block.len(), 144);
        let v = decode(Q4K, &block);
        for (i, &got) in v.iter().enumerate() {
            let s = i / 32;
            let expect = d as f64 * sc[s] as f64 * quant(i) as f64 - dmin as f64 * m[s] as f64;
            assert_eq!(got as f64, expect, "element {i}");
        }
    }
}
