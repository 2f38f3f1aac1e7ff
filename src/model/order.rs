//! Orders people expect: names compared "naturally" (`layers.2` before `layers.10`, `model-2` before `model-10`),
//! which also puts the shards of a series in series order.

use std::cmp::Ordering;

/// Compares two strings with every run of ASCII digits taken as a number: `layers.2` < `layers.10`. Equal numbers
/// written differently (`01`, `1`) fall back to the plain byte order, so the order stays total and consistent
/// with equality.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let (m, rest_x) = split_digits(x);
                let (n, rest_y) = split_digits(y);
                let by_value = compare_digits(m, n);
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Two digit runs by value, without parsing (a run can be longer than any integer type).
fn compare_digits(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |s: &[u8]| -> usize { s.iter().position(|&d| d != b'0').unwrap_or(s.len()) };
    let (a, b) = (&a[trim(a)..], &b[trim(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Paths in natural order of their text (lossy for names that are not UTF-8).
pub fn natural_path_cmp(a: &std::path::Path, b: &std::path::Path) -> Ordering {
    natural_cmp(&a.to_string_lossy(), &b.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        let mut names = vec![
            "layers.10.w",
            "layers.2.w",
            "layers.1.w",
            "layers.0.w",
            "lm_head",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "layers.0.w",
                "layers.1.w",
                "layers.2.w",
                "layers.10.w",
                "lm_head"
            ]
        );
        assert_eq!(natural_cmp("a01", "a1"), "a01".cmp("a1"));
        assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
        assert_eq!(natural_cmp("m-2", "m-10"), Ordering::Less);
        let long = "9".repeat(40);
        assert_eq!(natural_cmp(&long, "10"), Ordering::Greater);
    }
}
