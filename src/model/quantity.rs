//! Reading the figures people write, for every flag and rules-file key of a kind: parameter counts (`8.1B`,
//! `--max-params`, `--batch`), byte sizes (`16GiB`, `--max-bytes`, `--fits`), context lengths (`32k`,
//! `--context`) and percentages (`2%`). One parser per kind, so that what one flag takes every flag of that kind
//! takes, and a value quoted with a space (`"16 GiB"`) is the same value.
//!
//! Exact: the decimal text is read as an integer mantissa and a power of ten, never through a float, so `8.1B` is
//! 8,100,000,000 and not 8,099,999,999. What is accepted:
//! - a plain integer, optionally grouped by threes with `,` or `_` (`8,030,261,248`, `8_030_261_248`);
//! - a decimal with an exponent and no unit (`1e9`, `2.5e10`), when the result is a whole number;
//! - counts: a unit K (10^3), M (10^6), B (10^9, billion) or T (10^12), either case, optionally after a space;
//! - bytes: B, decimal KB (or kB)/MB/GB/TB/PB, binary KiB/MiB/GiB/TiB/PiB, spelled exactly; a byte figure
//!   always has its unit (`16GiB`, or `16060522496B` for an exact count of bytes): a bare `16` is refused with
//!   the fix, since `--max-bytes 16 GiB` (a space, no quotes) would otherwise become a limit of 16 bytes;
//! - contexts: tokens, with K = 1024 and M = 1024² as model cards mean them (`32k` = 32,768, `128K` = 131,072,
//!   `1M` = 1,048,576), or a plain integer.
//!
//! Refused with a message saying what to write instead: negative numbers, results that are not whole
//! (`1.2345K`), results past 2^64 − 1, `G` for a count (B is billion), a byte prefix without its `B` (`16G`: GB or
//! GiB?), a lowercase `b` (`16Gb` is gigabits), and any other unit.

/// A number as written: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    mantissa: u128,
    exponent: i32,
}

/// Significant digits beyond this cannot be a `u64` figure anyway (and would overflow the mantissa).
const MAX_DIGITS: usize = 38;

/// A parameter count: `8.1B`, `8030261248`, `1.5M`, `405b`.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let (number, unit) = split(text)?;
    let multiplier: u64 = match unit {
        "" => 1,
        "K" | "k" => 1_000,
        "M" | "m" => 1_000_000,
        "B" | "b" => 1_000_000_000,
        "T" | "t" => 1_000_000_000_000,
        "G" | "g" => {
            return Err(format!(
                "G is not a count unit; counts use K, M, B (billion) or T, so write {}B",
                number.trim()
            ))
        }
        u if byte_multiplier(u).is_some() => {
            return Err(format!(
            "{u} is a byte unit; counts use K (thousand), M (million), B (billion) or T (trillion)"
        ))
        }
        u => {
            return Err(format!(
            "unknown unit '{u}'; counts use K (thousand), M (million), B (billion) or T (trillion)"
        ))
        }
    };
    whole(decimal(number, unit.is_empty())?, multiplier).map_err(|e| {
        if unit.is_empty() && e == NOT_WHOLE {
            format!("{number} is not a whole number; write {number}B for billions, {number}M for millions (quote a value with a space: '{number} B')")
        } else {
            e
        }
    })
}

/// A size in bytes, with its unit: `16GiB`, `5GB`, `512MiB`, `16 GiB`, `16060522496B`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let (number, unit) = split(text)?;
    if unit.is_empty() {
        return Err(format!(
            "{number} what? A byte size needs its unit: write {number}GiB or {number}GB, or {number}B for exactly \
             {number} bytes (quote a value with a space: '{number} GiB')"
        ));
    }
    let Some(multiplier) = byte_multiplier(unit) else {
        return Err(bad_byte_unit(number.trim(), unit));
    };
    whole(decimal(number, false)?, multiplier)
}

/// A context length in tokens: `8192`, `32k` (32,768), `128K` (131,072), `1M` (1,048,576): K and M are powers
/// of 1024, as "a 32k context" means on model cards and in `max_position_embeddings`.
pub fn parse_context(text: &str) -> Result<u64, String> {
    let (number, unit) = split(text)?;
    let multiplier: u64 = match unit {
        "" => 1,
        "K" | "k" => 1 << 10,
        "M" | "m" => 1 << 20,
        u => {
            return Err(format!(
                "unknown unit '{u}'; a context is a number of tokens: 8192, 32k (32,768) or 1M (1,048,576)"
            ))
        }
    };
    whole(decimal(number, unit.is_empty())?, multiplier)
}

/// [`parse_context`], at least 1 token.
pub fn parse_context_positive(text: &str) -> Result<u64, String> {
    match parse_context(text)? {
        0 => Err("a context is at least 1 token".to_string()),
        n => Ok(n),
    }
}

/// A whole number of at least 1 (`--batch 4`, `--group-size 128`), with the count units (`1K`).
pub fn parse_positive_count(text: &str) -> Result<u64, String> {
    match parse_count(text)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}

/// A percentage with or without its sign (`--overhead 20` or `20%`), as a whole number of percent.
pub fn parse_whole_percent(text: &str) -> Result<u64, String> {
    let with_sign = if text.trim_end().ends_with('%') {
        text.to_string()
    } else {
        format!("{}%", text.trim())
    };
    match parse_percent(&with_sign)? {
        (n, 1) => u64::try_from(n).map_err(|_| too_large()),
        _ => Err("a whole number of percent, such as 20 or 20%".to_string()),
    }
}

fn byte_multiplier(unit: &str) -> Option<u64> {
    Some(match unit {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "PB" => 1_000_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "PiB" => 1 << 50,
        _ => return None,
    })
}

fn bad_byte_unit(number: &str, unit: &str) -> String {
    const ACCEPTED: &str =
        "B, KB, MB, GB, TB, PB (powers of 1000) or KiB, MiB, GiB, TiB, PiB (powers of 1024)";
    let prefix = unit.trim_end_matches(['b', 'B']).trim_end_matches('i');
    let known_prefix = ["K", "M", "G", "T", "P"].contains(&prefix.to_uppercase().as_str());
    if known_prefix && unit.ends_with('b') {
        return format!(
            "a lowercase b means bits; write {number}{p}B (powers of 1000) or {number}{p}iB (powers of 1024)",
            p = prefix.to_uppercase()
        );
    }
    if known_prefix && !unit.ends_with('B') {
        return format!(
            "ambiguous: write {number}{p}B (powers of 1000) or {number}{p}iB (powers of 1024)",
            p = prefix.to_uppercase()
        );
    }
    format!("unknown byte unit '{unit}'; use {ACCEPTED}")
}

/// A percentage: `2%`, `0.5%`. Returned as `numerator / denominator` percent, exactly.
pub fn parse_percent(text: &str) -> Result<(u128, u128), String> {
    let (number, unit) = split(text)?;
    if unit != "%" {
        return Err("expected a percentage such as 2% or 0.5%".to_string());
    }
    let d = decimal(number, false)?;
    if d.exponent >= 0 {
        let scale = 10u128
            .checked_pow(d.exponent as u32)
            .and_then(|s| d.mantissa.checked_mul(s))
            .ok_or_else(too_large)?;
        Ok((scale, 1))
    } else {
        let denominator = 10u128
            .checked_pow(d.exponent.unsigned_abs())
            .ok_or_else(|| "too many decimal places".to_string())?;
        Ok((d.mantissa, denominator))
    }
}

/// A tolerance for `diff --atol` / `--rtol`: a number ≥ 0 (`1e-3`, `inf`). A negative or NaN tolerance would
/// make even equal values differ, which is a typo, not a question.
pub fn parse_tolerance(text: &str) -> Result<f64, String> {
    let x: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number (e.g. 1e-3)"))?;
    if x.is_nan() || x < 0.0 {
        return Err(format!("'{text}': a tolerance is a number ≥ 0"));
    }
    Ok(x)
}

/// Splits `8.1 B` into `8.1` and `B`: the number is the leading run of digits, separators, a point and an
/// exponent; the unit is what follows, spaces trimmed.
fn split(text: &str) -> Result<(&str, &str), String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty value: expected a number such as 8.1B or 16GiB".into());
    }
    if trimmed.starts_with('-') {
        return Err("must not be negative".to_string());
    }
    let bytes = trimmed.as_bytes();
    let mut end = 0;
    while end < bytes.len() && (bytes[end].is_ascii_digit() || b".,_".contains(&bytes[end])) {
        end += 1;
    }
    // An exponent only when digits follow it, so that no unit is mistaken for one.
    if end > 0 && end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut e = end + 1;
        if e < bytes.len() && (bytes[e] == b'+' || bytes[e] == b'-') {
            e += 1;
        }
        if e < bytes.len() && bytes[e].is_ascii_digit() {
            while e < bytes.len() && bytes[e].is_ascii_digit() {
                e += 1;
            }
            end = e;
        }
    }
    if end == 0 {
        return Err("expected a number first, such as 8.1B or 16GiB".to_string());
    }
    Ok((&trimmed[..end], trimmed[end..].trim_start()))
}

fn decimal(number: &str, exponent_allowed: bool) -> Result<Decimal, String> {
    let (significand, exponent) = match number.find(['e', 'E']) {
        Some(at) if exponent_allowed => {
            let exp: i32 = number[at + 1..]
                .parse()
                .map_err(|_| "exponent out of range".to_string())?;
            (&number[..at], exp)
        }
        Some(_) => return Err("an exponent (e) cannot be combined with a unit".to_string()),
        None => (number, 0),
    };
    let (integer, fraction) = match significand.split_once('.') {
        Some((i, f)) => (i, f),
        None => (significand, ""),
    };
    if fraction.contains(['.', ',', '_']) {
        return Err("not a number (separators only in the integer part)".to_string());
    }
    let integer = ungroup(integer)?;
    if integer.is_empty() && fraction.is_empty() {
        return Err("not a number".to_string());
    }
    let fraction = fraction.trim_end_matches('0');
    let digits = format!("{integer}{fraction}");
    let significant = digits.trim_start_matches('0');
    if significant.len() > MAX_DIGITS {
        return Err(too_large());
    }
    let mantissa = if significant.is_empty() {
        0
    } else {
        significant.parse::<u128>().map_err(|_| too_large())?
    };
    Ok(Decimal {
        mantissa,
        exponent: exponent.saturating_sub(fraction.len() as i32),
    })
}

/// `8,030,261,248` → `8030261248`; separators must group by threes so `8,03` is not read as 803.
fn ungroup(integer: &str) -> Result<String, String> {
    let Some(sep) = integer.chars().find(|c| *c == ',' || *c == '_') else {
        return Ok(integer.to_string());
    };
    let groups: Vec<&str> = integer.split(sep).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let digits_ok = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if !(first_ok && rest_ok && digits_ok) {
        return Err(
            "digit separators must group by threes (8,030,261,248 or 8_030_261_248)".to_string(),
        );
    }
    Ok(groups.concat())
}

/// `mantissa × 10^exponent × multiplier`, which must be a whole number that fits in 64 bits.
fn whole(d: Decimal, multiplier: u64) -> Result<u64, String> {
    if d.mantissa == 0 {
        return Ok(0);
    }
    let scaled = d
        .mantissa
        .checked_mul(multiplier as u128)
        .ok_or_else(too_large)?;
    let value = if d.exponent >= 0 {
        10u128
            .checked_pow(d.exponent as u32)
            .and_then(|p| scaled.checked_mul(p))
            .ok_or_else(too_large)?
    } else {
        let divisor = 10u128.checked_pow(d.exponent.unsigned_abs());
        match divisor {
            Some(p) if scaled % p == 0 => scaled / p,
            _ => return Err(NOT_WHOLE.to_string()),
        }
    };
    u64::try_from(value).map_err(|_| too_large())
}

const NOT_WHOLE: &str = "not a whole number";

fn too_large() -> String {
    "too large (the largest is 18,446,744,073,709,551,615)".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("8.1B"), Ok(8_100_000_000));
        assert_eq!(parse_count("8030261248"), Ok(8_030_261_248));
        assert_eq!(parse_count("8,030,261,248"), Ok(8_030_261_248));
        assert_eq!(parse_count("8_030_261_248"), Ok(8_030_261_248));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("405b"), Ok(405_000_000_000));
        assert_eq!(parse_count("0.5K"), Ok(500));
        assert_eq!(parse_count("8.1 B"), Ok(8_100_000_000));
        assert_eq!(parse_count("1.2T"), Ok(1_200_000_000_000));
        assert_eq!(parse_count("1e9"), Ok(1_000_000_000));
        assert_eq!(parse_count("2.5e10"), Ok(25_000_000_000));
        assert_eq!(parse_count("8.100000B"), Ok(8_100_000_000));
        assert_eq!(parse_count("0"), Ok(0));
        assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn counts_refused() {
        let err = |s| parse_count(s).unwrap_err();
        assert_eq!(
            err("8.1G"),
            "G is not a count unit; counts use K, M, B (billion) or T, so write 8.1B"
        );
        assert!(err("8GB").contains("GB is a byte unit"), "{}", err("8GB"));
        assert!(err("8 billion").contains("unknown unit 'billion'"));
        assert_eq!(err("-1B"), "must not be negative");
        assert_eq!(err("1.2345K"), "not a whole number");
        assert!(err("18446744073709551616").contains("too large"));
        assert!(err("20000000T").contains("too large"));
        assert!(err("1e30").contains("too large"));
        assert!(err("8,03").contains("group by threes"));
        assert!(err("80,30,261").contains("group by threes"));
        assert!(err("1e3K").contains("exponent"));
        assert!(err("").contains("empty"));
        assert!(err("B").contains("expected a number"));
        assert!(err(".").contains("not a number"));
        assert!(err("1.2.3").contains("not a number"));
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("16GiB"), Ok(17_179_869_184));
        assert_eq!(parse_bytes("5GB"), Ok(5_000_000_000));
        assert_eq!(parse_bytes("512MiB"), Ok(536_870_912));
        assert_eq!(parse_bytes("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_bytes("16 GiB"), Ok(17_179_869_184));
        assert_eq!(parse_bytes("100kB"), Ok(100_000));
        assert_eq!(parse_bytes("2KiB"), Ok(2048));
        assert_eq!(parse_bytes("512B"), Ok(512));
        assert_eq!(parse_bytes("16,060,522,496B"), Ok(16_060_522_496));
        assert_eq!(parse_bytes("16060522496 B"), Ok(16_060_522_496));
        assert_eq!(parse_bytes("1PiB"), Ok(1 << 50));
    }

    #[test]
    fn bytes_refused() {
        let err = |s| parse_bytes(s).unwrap_err();
        assert_eq!(
            err("16Gb"),
            "a lowercase b means bits; write 16GB (powers of 1000) or 16GiB (powers of 1024)"
        );
        assert_eq!(
            err("16G"),
            "ambiguous: write 16GB (powers of 1000) or 16GiB (powers of 1024)"
        );
        assert!(err("16gib").contains("lowercase b"));
        assert!(err("16Gi").contains("ambiguous"));
        assert!(err("16 gibibytes").contains("unknown byte unit 'gibibytes'"));
        assert!(err("16GIB").contains("unknown byte unit 'GIB'"));
        assert_eq!(err("-5GB"), "must not be negative");
        assert_eq!(err("0.1KiB"), "not a whole number");
        assert!(err("19000PB").contains("too large"));
        // A bare number is refused with the fix: `--max-bytes 16 GiB` unquoted reaches the parser as `16`.
        assert_eq!(
            err("16"),
            "16 what? A byte size needs its unit: write 16GiB or 16GB, or 16B for exactly 16 bytes \
             (quote a value with a space: '16 GiB')"
        );
        assert!(err("1e9").contains("needs its unit"));
        assert!(err("1e9B").contains("exponent"));
    }

    #[test]
    fn contexts() {
        assert_eq!(parse_context("8192"), Ok(8192));
        assert_eq!(parse_context("32k"), Ok(32_768));
        assert_eq!(parse_context("8K"), Ok(8192));
        assert_eq!(parse_context("128K"), Ok(131_072));
        assert_eq!(parse_context("1M"), Ok(1 << 20));
        assert_eq!(parse_context("32,768"), Ok(32_768));
        assert_eq!(parse_context("0.5k"), Ok(512));
        assert!(parse_context("32 tokens")
            .unwrap_err()
            .contains("unknown unit 'tokens'"));
        assert_eq!(parse_context("1.0001k").unwrap_err(), "not a whole number");
    }

    #[test]
    fn a_bare_fraction_of_a_count_names_the_units() {
        // `--max-params 8.1 B` unquoted reaches the parser as `8.1`.
        let e = parse_count("8.1").unwrap_err();
        assert!(e.contains("write 8.1B for billions"), "{e}");
        assert_eq!(parse_positive_count("0").unwrap_err(), "must be at least 1");
        assert_eq!(parse_positive_count("4"), Ok(4));
        assert_eq!(parse_whole_percent("20"), Ok(20));
        assert_eq!(parse_whole_percent("20%"), Ok(20));
        assert!(parse_whole_percent("2.5").is_err());
    }

    proptest::proptest! {
        #[test]
        fn every_integer_reads_back_plain_and_grouped(n: u64) {
            proptest::prop_assert_eq!(parse_count(&n.to_string()), Ok(n));
            proptest::prop_assert_eq!(parse_count(&crate::model::units::grouped(n)), Ok(n));
            proptest::prop_assert_eq!(parse_bytes(&format!("{}B", crate::model::units::grouped(n).replace(',', "_"))), Ok(n));
        }

        #[test]
        fn units_multiply_exactly(n in 0u64..1_000_000, thousandths in 0u64..1000) {
            let text = format!("{n}.{thousandths:03}");
            proptest::prop_assert_eq!(parse_count(&format!("{text}B")), Ok(n * 1_000_000_000 + thousandths * 1_000_000));
            proptest::prop_assert_eq!(parse_bytes(&format!("{text}GB")), Ok(n * 1_000_000_000 + thousandths * 1_000_000));
            proptest::prop_assert_eq!(parse_bytes(&format!("{n}GiB")), Ok(n << 30));
        }
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("2%"), Ok((2, 1)));
        assert_eq!(parse_percent("0.5%"), Ok((5, 10)));
        assert_eq!(parse_percent("0.25 %"), Ok((25, 100)));
        assert_eq!(parse_percent("150%"), Ok((150, 1)));
        assert!(parse_percent("2").unwrap_err().contains("percentage"));
        assert!(parse_percent("-2%").unwrap_err().contains("negative"));
    }
}
