//! Human units for people; exact integers stay in JSON.

/// `8030261248` → `8.03B`; below a thousand, the number itself.
pub fn count(n: u64) -> String {
    const STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    match scaled(n, &STEPS, 1e3) {
        Some((value, suffix)) => format!("{value}{suffix}"),
        None => n.to_string(),
    }
}

/// `n` in the largest unit of `steps` (largest first) it reaches, to two decimals — or in the next larger unit
/// when the rounding reaches `next_at` (999,999 is `1.00M`, not `1000.00K`); `None` below the smallest unit.
fn scaled<'a>(n: u64, steps: &[(f64, &'a str)], next_at: f64) -> Option<(String, &'a str)> {
    let i = steps.iter().position(|&(scale, _)| n as f64 >= scale)?;
    let value = format!("{:.2}", n as f64 / steps[i].0);
    if i > 0 && value.parse::<f64>().is_ok_and(|v| v >= next_at) {
        let (scale, suffix) = steps[i - 1];
        return Some((format!("{:.2}", n as f64 / scale), suffix));
    }
    Some((value, steps[i].1))
}

/// `1, "tensor", "tensors"` → `1 tensor`; `1200, …` → `1,200 tensors`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    let word = if n == 1 { one } else { many };
    format!("{} {word}", grouped(n))
}

/// `8030261248` → `8,030,261,248`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Binary units: `16060522496` → `14.96 GiB`.
pub fn bytes(n: u64) -> String {
    const STEPS: [(f64, &str); 5] = [
        ((1u64 << 50) as f64, "PiB"),
        ((1u64 << 40) as f64, "TiB"),
        ((1u64 << 30) as f64, "GiB"),
        ((1u64 << 20) as f64, "MiB"),
        ((1u64 << 10) as f64, "KiB"),
    ];
    // The unit switches at 1000 of the smaller (`0.98 GiB`, not `1002.00 MiB`): never four digits before the point.
    match scaled(n, &STEPS, 1000.0) {
        Some((value, suffix)) => format!("{value} {suffix}"),
        None if n >= 1000 => format!("{:.2} KiB", n as f64 / 1024.0),
        None => format!("{n} B"),
    }
}

/// Decimal units: `16060522496` → `16.06 GB`.
pub fn bytes_decimal(n: u64) -> String {
    const STEPS: [(f64, &str); 5] = [
        (1e15, "PB"),
        (1e12, "TB"),
        (1e9, "GB"),
        (1e6, "MB"),
        (1e3, "KB"),
    ];
    match scaled(n, &STEPS, 1e3) {
        Some((value, suffix)) => format!("{value} {suffix}"),
        None => format!("{n} B"),
    }
}

/// A share as a percentage with one decimal; `-` when the whole is zero.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Runs of consecutive integers in `sorted` (ascending, no repeats) written `START{to}END`, joined by `sep`:
/// `[0, 2, 3, 4, 5, 9]` with `–` and `, ` gives `0, 2–5, 9`.
pub fn runs(sorted: &[u64], to: &str, sep: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}{to}{end}")
        });
        i += 1;
    }
    out.join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(count(8_030_261_248), "8.03B");
        assert_eq!(count(124_439_808), "124.44M");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1.00K");
        assert_eq!(count(405_000_000_000_000), "405.00T");
        // Rounding to two decimals never shows 1000 of a unit: the next unit instead.
        assert_eq!(count(999_994), "999.99K");
        assert_eq!(count(999_999), "1.00M");
        assert_eq!(count(999_999_999), "1.00B");
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(8_030_261_248), "8,030,261,248");
    }

    #[test]
    fn byte_units() {
        assert_eq!(bytes(16_060_522_496), "14.96 GiB");
        assert_eq!(bytes(1023), "1.00 KiB");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_050_673_152), "0.98 GiB");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes_decimal(16_060_522_496), "16.06 GB");
        assert_eq!(bytes((1 << 20) - 1), "1.00 MiB");
        assert_eq!(bytes((1 << 20) - 6), "1.00 MiB");
        assert_eq!(bytes(1_000 << 10), "0.98 MiB");
        assert_eq!(bytes(999 << 10), "999.00 KiB");
        assert_eq!(bytes_decimal(999_999), "1.00 MB");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
    }
}
