//! Human units for people; exact integers stay in JSON.

/// `8030261248` → `8.03B`; below a thousand, the number itself.
pub fn count(n: u64) -> String {
    const STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    for (scale, suffix) in STEPS {
        if n as f64 >= scale {
            return format!("{:.2}{suffix}", n as f64 / scale);
        }
    }
    n.to_string()
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
    const STEPS: [(u64, &str); 5] = [
        (1 << 50, "PiB"),
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (scale, suffix) in STEPS {
        if n >= scale {
            return format!("{:.2} {suffix}", n as f64 / scale as f64);
        }
    }
    format!("{n} B")
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
    for (scale, suffix) in STEPS {
        if n as f64 >= scale {
            return format!("{:.2} {suffix}", n as f64 / scale);
        }
    }
    format!("{n} B")
}

/// A share as a percentage with one decimal; `-` when the whole is zero.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
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
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes_decimal(16_060_522_496), "16.06 GB");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
    }
}
