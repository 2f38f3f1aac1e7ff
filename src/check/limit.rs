//! Limits as the user wrote them (`8.1B`, `16GiB`, `2%`) and as exact integers. Shown as written, compared
//! exactly.

use crate::model::quantity::{parse_bytes, parse_count, parse_percent};
use crate::model::units;
use std::fmt;

/// A count or byte limit: the exact value and the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// The limit as an exact integer (parameters or bytes).
    pub value: u64,
    /// The text it was parsed from, trimmed: what reports show.
    pub text: String,
}

impl Limit {
    /// A parameter-count limit: `8.1B`, `1.5M`, `405b`, `8030261248`; `Err` says why the text is no count.
    pub fn count(text: &str) -> Result<Limit, String> {
        Ok(Limit {
            value: parse_count(text)?,
            text: text.trim().to_string(),
        })
    }

    /// A byte limit: `16GiB` (binary), `5GB` (decimal), `1e9`, `16060522496`; `Err` says why the text is no size.
    pub fn bytes(text: &str) -> Result<Limit, String> {
        Ok(Limit {
            value: parse_bytes(text)?,
            text: text.trim().to_string(),
        })
    }

    /// Whether the user thinks in binary units (KiB, GiB…), so figures are shown the same way.
    pub fn binary(&self) -> bool {
        self.text.contains("iB")
    }
}

/// How much a figure may grow over its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Growth {
    /// `numerator / denominator` percent of the baseline.
    Percent {
        /// The percentage's numerator, exact (`0.5%` is 5 / 10).
        numerator: u128,
        /// The percentage's denominator.
        denominator: u128,
        /// The text it was parsed from, trimmed: what reports show.
        text: String,
    },
    /// An absolute amount, in the figure's unit.
    Absolute(Limit),
}

impl Growth {
    /// A percentage allowance (`2%`, `0.5%`), kept as an exact fraction; `Err` says why the text is no percentage.
    pub fn percent(text: &str) -> Result<Growth, String> {
        let (numerator, denominator) = parse_percent(text)?;
        Ok(Growth::Percent {
            numerator,
            denominator,
            text: text.trim().to_string(),
        })
    }

    /// A percentage (`2%`) or a parameter count (`50M`).
    pub fn params(text: &str) -> Result<Growth, String> {
        if text.trim_end().ends_with('%') {
            Growth::percent(text)
        } else {
            Limit::count(text).map(Growth::Absolute)
        }
    }

    /// A percentage (`2%`) or a byte size (`100MiB`).
    pub fn bytes(text: &str) -> Result<Growth, String> {
        if text.trim_end().ends_with('%') {
            Growth::percent(text)
        } else {
            Limit::bytes(text).map(Growth::Absolute)
        }
    }

    /// The largest figure allowed over `baseline`, exactly (a percentage rounds down to whole units);
    /// saturates at `u64::MAX`.
    pub fn ceiling(&self, baseline: u64) -> u64 {
        let allowance = match self {
            Growth::Percent {
                numerator,
                denominator,
                ..
            } => {
                let scaled = (baseline as u128).saturating_mul(*numerator);
                scaled / denominator.saturating_mul(100)
            }
            Growth::Absolute(limit) => limit.value as u128,
        };
        u64::try_from(baseline as u128 + allowance).unwrap_or(u64::MAX)
    }
}

/// The user's spelling, except that a bare integer is grouped (`8,100,000,000`) so that its digits can be
/// counted: a rule line and an error about contradictory limits show a limit the same way. (The one use of human
/// units in the analysis: it is the limit itself, as its author wrote it, not a figure the rules measured.)
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if digits(&self.text) {
            f.write_str(&units::grouped(self.value))
        } else if self
            .text
            .strip_suffix('B')
            .map(str::trim_end)
            .is_some_and(|t| digits(t) && t.parse() == Ok(self.value))
        {
            // An exact byte count (`16060522496B`, not the count `5B`), grouped the same way.
            write!(f, "{}B", units::grouped(self.value))
        } else {
            f.write_str(&self.text)
        }
    }
}

/// As written, the same way as [`Limit`].
impl fmt::Display for Growth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Growth::Percent { text, .. } => f.write_str(text),
            Growth::Absolute(limit) => limit.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_ceiling_is_exact() {
        // 2% of 8,030,261,248 is 160,605,224.96: a growth of 160,605,224 passes, one more does not.
        let two = Growth::percent("2%").unwrap();
        assert_eq!(two.ceiling(8_030_261_248), 8_190_866_472);
        let half = Growth::percent("0.5%").unwrap();
        assert_eq!(half.ceiling(1_000), 1_005);
        assert_eq!(Growth::params("50M").unwrap().ceiling(1), 50_000_001);
        assert_eq!(Growth::bytes("1KiB").unwrap().ceiling(0), 1024);
        assert_eq!(Growth::percent("0%").unwrap().ceiling(77), 77);
        assert_eq!(Growth::params("1T").unwrap().ceiling(u64::MAX), u64::MAX);
    }

    #[test]
    fn limits_show_as_written() {
        assert_eq!(Limit::count("8.1B").unwrap().to_string(), "8.1B");
        assert_eq!(
            Limit::count("8100000000").unwrap().to_string(),
            "8,100,000,000"
        );
        assert_eq!(Growth::params("50M").unwrap().to_string(), "50M");
        assert_eq!(Growth::bytes(" 2% ").unwrap().to_string(), "2%");
        assert!(Limit::bytes("16GiB").unwrap().binary());
        assert!(!Limit::bytes("5GB").unwrap().binary());
    }
}
