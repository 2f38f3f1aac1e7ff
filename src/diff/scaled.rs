//! Sums that keep their own power-of-two exponent, for `diff --values`: F64 values beyond 2^±`WIDE_BINADE`
//! (about 1e±135) have squares that overflow to infinity or underflow to zero, and a sum of squares with them
//! would make relative L2 and cosine infinite, NaN or zero. A block of such values is summed scaled by a power
//! of two (exact), and sums of different blocks are brought to the larger exponent when merged.

use crate::values::accumulate::WIDE_BINADE;
use crate::values::pow2::{binade, times_pow2};

/// `m`·2^`e`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scaled {
    pub m: f64,
    pub e: i32,
}

impl Scaled {
    pub fn new(m: f64, e: i32) -> Self {
        // An infinity has no exponent to align: kept at 0 so that scaling it never multiplies ∞ by 0.
        if m.is_finite() {
            Scaled { m, e }
        } else {
            Scaled { m, e: 0 }
        }
    }

    /// Adds `o`; what the smaller side holds below the larger one's precision is lost, as in any f64 sum.
    pub fn add(&mut self, o: Scaled) {
        if o.m == 0.0 {
            return;
        }
        if self.m == 0.0 {
            *self = o;
        } else if !self.m.is_finite() || !o.m.is_finite() {
            *self = Scaled::new(self.m + o.m, 0);
        } else if o.e > self.e {
            self.m = times_pow2(self.m, self.e - o.e) + o.m;
            self.e = o.e;
        } else {
            self.m += times_pow2(o.m, o.e - self.e);
        }
    }

    /// The square root, with a mantissa in [1, 2·√2) (0 and ∞ stay themselves).
    pub fn sqrt(self) -> Scaled {
        if self.m == 0.0 || !self.m.is_finite() {
            return Scaled::new(self.m.sqrt(), 0);
        }
        let b = binade(self.m);
        let (mut m, mut e) = (times_pow2(self.m, -b), self.e + b);
        if e % 2 != 0 {
            m *= 2.0;
            e -= 1;
        }
        Scaled {
            m: m.sqrt(),
            e: e / 2,
        }
    }

    /// The product, of mantissas brought to [1, 2) first so that it cannot overflow (0 and ∞ stay themselves).
    pub fn mul(self, o: Scaled) -> Scaled {
        let (x, y) = (self.normal(), o.normal());
        Scaled::new(x.m * y.m, x.e + y.e)
    }

    /// The same value with a mantissa in [1, 2) (exact: a power of two moves between mantissa and exponent).
    fn normal(self) -> Scaled {
        if self.m == 0.0 || !self.m.is_finite() {
            return self;
        }
        let b = binade(self.m);
        Scaled {
            m: times_pow2(self.m, -b),
            e: self.e + b,
        }
    }

    /// self / o as an f64 (infinite or zero only when the quotient is beyond f64's range).
    pub fn div(self, o: Scaled) -> f64 {
        times_pow2(self.m / o.m, self.e - o.e)
    }

    pub fn value(self) -> f64 {
        times_pow2(self.m, self.e)
    }
}

/// The power of two to divide values by before squaring them, given their largest magnitude: 0 (no scaling, the
/// common case) while it is 0 or within 2^±`WIDE_BINADE`, else its binade.
pub fn scale_for(largest: f64) -> i32 {
    if largest == 0.0 || !largest.is_finite() {
        return 0;
    }
    let b = binade(largest);
    if b.abs() > WIDE_BINADE {
        b
    } else {
        0
    }
}

/// x·2^-k: `x` in units of 2^k (x itself for k = 0).
pub fn unscale(x: f64, k: i32) -> f64 {
    if k == 0 {
        x
    } else {
        times_pow2(x, -k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_far_apart_keep_the_larger_and_roots_halve_exponents() {
        let mut s = Scaled::new(1.5, -2000);
        s.add(Scaled::new(1.0, 2000));
        assert_eq!(s, Scaled::new(1.0, 2000));
        // √(2·2^2001) = 2^1001.
        assert_eq!(Scaled::new(2.0, 2001).sqrt(), Scaled::new(1.0, 1001));
        assert_eq!(Scaled::new(1.0, 2000).div(Scaled::new(1.0, 1999)), 2.0);
        let mut inf = Scaled::new(f64::INFINITY, 5);
        inf.add(Scaled::new(1.0, -2100));
        assert_eq!(inf.div(Scaled::new(1.0, -1000)), f64::INFINITY);
    }
}
