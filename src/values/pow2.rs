//! Powers of two as f64 bits: exact scaling for sums whose squares would leave f64's range, histogram edges,
//! and the fixed-point units of the BF16 kernel.

/// 2^k exactly, subnormal results included; 0 below 2^-1074 and +Inf from 2^1024.
pub fn pow2(k: i32) -> f64 {
    match k {
        ..=-1075 => 0.0,
        -1074..=-1023 => f64::from_bits(1 << (k + 1074)),
        -1022..=1023 => f64::from_bits(((k + 1023) as u64) << 52),
        _ => f64::INFINITY,
    }
}

/// x·2^k, exact while the result is a normal f64 (then rounded once into the subnormals, or to zero).
pub fn times_pow2(mut x: f64, mut k: i32) -> f64 {
    // Far enough below f64's range that any finite x goes to zero (keeps the loops below short).
    if k < -2200 {
        return x * 0.0;
    }
    while k > 1023 {
        x *= pow2(1023);
        k -= 1023;
    }
    while k < -1022 {
        x *= pow2(-1022);
        k += 1022;
    }
    x * pow2(k)
}

/// b with 2^b ≤ |x| < 2^(b+1), for finite nonzero x (subnormals included).
pub fn binade(x: f64) -> i32 {
    let field = ((x.abs().to_bits() >> 52) & 0x7ff) as i32;
    if field == 0 {
        // Subnormal: the position of the highest set bit of the fraction.
        let fraction = x.abs().to_bits();
        63 - fraction.leading_zeros() as i32 - 1074
    } else {
        field - 1023
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_scale_exactly_across_the_range() {
        assert_eq!(pow2(-1074), f64::from_bits(1));
        assert_eq!(pow2(-1075), 0.0);
        assert_eq!(pow2(1024), f64::INFINITY);
        assert_eq!(pow2(-1022), f64::MIN_POSITIVE);
        assert_eq!(times_pow2(1.0, -1074), f64::from_bits(1));
        assert_eq!(times_pow2(f64::from_bits(1), 1074), 1.0);
        assert_eq!(
            times_pow2(f64::MAX, -2046),
            f64::MAX / 2f64.powi(1023) / 2f64.powi(1023)
        );
        assert_eq!(times_pow2(1.5, 1023), 1.5 * 2f64.powi(1023));
        assert_eq!(times_pow2(-3.0, -5000), -0.0);
        assert_eq!(times_pow2(0.75, 0), 0.75);
    }

    #[test]
    fn binades_of_normals_and_subnormals() {
        assert_eq!(binade(1.0), 0);
        assert_eq!(binade(-3.0), 1);
        assert_eq!(binade(f64::MAX), 1023);
        assert_eq!(binade(f64::MIN_POSITIVE), -1022);
        assert_eq!(binade(f64::from_bits(1)), -1074);
        assert_eq!(binade(f64::from_bits(3)), -1073);
    }
}
