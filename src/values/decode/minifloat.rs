//! The small float encodings, from their specifications (OCP 8-bit Floating Point v1.0; OCP Microscaling
//! Formats v1.0), one function per encoding from a code to its value:
//! - F8_E4M3 ("fn", OCP FP8): bias 7, no infinities, NaN only as S.1111.111 (0x7F, 0xFF); max 448.
//! - F8_E5M2 (OCP FP8): bias 15, IEEE-like: exponent 31 is ±Inf (mantissa 0) or NaN.
//! - F8_E4M3FNUZ / F8_E5M2FNUZ: biases 8 and 16, no infinities, no negative zero: 0x80 is the only NaN.
//! - F8_E8M0 (MX scale): 2^(e−127), no sign, no zero, 0xFF is NaN.
//! - F4 (MX E2M1): bias 1, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no Inf or NaN.

/// Smallest positive normal value of a minifloat with exponent bias `bias`: 2^(1−bias).
pub(crate) fn min_normal(bias: i32) -> f64 {
    2f64.powi(1 - bias)
}

/// Sign, `exp_bits` exponent bits and `man_bits` mantissa bits, with subnormals when the exponent field is 0.
/// Special encodings (Inf/NaN) are handled by the callers, which know their format's rules.
fn minifloat(code: u8, exp_bits: u32, man_bits: u32, bias: i32) -> f64 {
    let sign = if code >> (exp_bits + man_bits) & 1 == 1 {
        -1.0
    } else {
        1.0
    };
    let exp = ((code >> man_bits) & ((1 << exp_bits) - 1)) as i32;
    let man = (code & ((1 << man_bits) - 1)) as f64 / (1u32 << man_bits) as f64;
    let magnitude = if exp == 0 {
        man * 2f64.powi(1 - bias)
    } else {
        (1.0 + man) * 2f64.powi(exp - bias)
    };
    sign * magnitude
}

pub(crate) fn e4m3fn(b: u8) -> f64 {
    if b & 0x7F == 0x7F {
        f64::NAN
    } else {
        minifloat(b, 4, 3, 7)
    }
}

pub(crate) fn e5m2(b: u8) -> f64 {
    match (b >> 2 & 0x1F, b & 0x3) {
        (31, 0) if b & 0x80 != 0 => f64::NEG_INFINITY,
        (31, 0) => f64::INFINITY,
        (31, _) => f64::NAN,
        _ => minifloat(b, 5, 2, 15),
    }
}

pub(crate) fn e4m3fnuz(b: u8) -> f64 {
    if b == 0x80 {
        f64::NAN
    } else {
        minifloat(b, 4, 3, 8)
    }
}

pub(crate) fn e5m2fnuz(b: u8) -> f64 {
    if b == 0x80 {
        f64::NAN
    } else {
        minifloat(b, 5, 2, 16)
    }
}

pub(crate) fn e8m0(b: u8) -> f64 {
    if b == 0xFF {
        f64::NAN
    } else {
        2f64.powi(b as i32 - 127)
    }
}

/// torch stores bools as one byte; any nonzero byte reads as true.
pub(crate) fn bool_value(b: u8) -> f64 {
    (b != 0) as u8 as f64
}

pub(crate) fn e2m1(nibble: u8) -> f64 {
    minifloat(nibble & 0xF, 2, 1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(f: fn(u8) -> f64) -> Vec<f64> {
        (0..=255).map(f).collect()
    }

    #[test]
    fn e4m3fn_has_no_infinity_and_one_nan_per_sign() {
        let v = all(e4m3fn);
        let nans: Vec<usize> = (0..256).filter(|&i| v[i].is_nan()).collect();
        assert_eq!(nans, vec![0x7F, 0xFF]);
        assert!(v.iter().all(|x| !x.is_infinite()));
        assert_eq!(v[0x7E], 448.0);
        assert_eq!(v[0xFE], -448.0);
        assert_eq!(v[0x38], 1.0); // exponent 7 = bias
        assert_eq!(v[0x01], 2f64.powi(-9)); // smallest subnormal: 1/8 · 2^-6
        assert_eq!(v[0x08], 2f64.powi(-6)); // smallest normal
        assert_eq!(v[0x80], 0.0);
        assert!(v[0x80].is_sign_negative());
    }

    #[test]
    fn e5m2_is_ieee_like() {
        let v = all(e5m2);
        assert_eq!(v[0x7C], f64::INFINITY);
        assert_eq!(v[0xFC], f64::NEG_INFINITY);
        assert!(v[0x7D].is_nan() && v[0x7E].is_nan() && v[0x7F].is_nan() && v[0xFF].is_nan());
        assert_eq!(v[0x7B], 57344.0);
        assert_eq!(v[0x3C], 1.0);
        assert_eq!(v[0x01], 2f64.powi(-16));
        // E5M2 is the top byte of an IEEE half: every non-NaN value agrees with `half`.
        for b in 0..=255u8 {
            let h = half::f16::from_bits((b as u16) << 8).to_f64();
            assert!(h == v[b as usize] || (h.is_nan() && v[b as usize].is_nan()));
        }
    }

    #[test]
    fn fnuz_variants_have_a_single_nan_and_no_negative_zero() {
        for f in [e4m3fnuz, e5m2fnuz] {
            let v = all(f);
            let nans: Vec<usize> = (0..256).filter(|&i| v[i].is_nan()).collect();
            assert_eq!(nans, vec![0x80]);
            assert!(v.iter().all(|x| !x.is_infinite()));
        }
        let e4 = all(e4m3fnuz);
        assert_eq!(e4[0x7F], 240.0);
        assert_eq!(e4[0x40], 1.0); // exponent 8 = bias
        assert_eq!(e4[0x01], 2f64.powi(-10));
        let e5 = all(e5m2fnuz);
        assert_eq!(e5[0x7F], 57344.0);
        assert_eq!(e5[0x40], 1.0);
        assert_eq!(e5[0x01], 2f64.powi(-17));
    }

    #[test]
    fn e8m0_is_a_power_of_two() {
        let v = all(e8m0);
        assert_eq!(v[127], 1.0);
        assert_eq!(v[0], 2f64.powi(-127));
        assert_eq!(v[254], 2f64.powi(127));
        assert!(v[255].is_nan());
    }

    #[test]
    fn e2m1_has_eight_magnitudes() {
        let v: Vec<f64> = (0..16).map(e2m1).collect();
        assert_eq!(&v[..8], &[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]);
        assert_eq!(v[8 + 7], -6.0);
        assert_eq!(min_normal(1), 1.0);
    }
}
