//! The pieces of JSON that the quick readers of an index (`sharded::scan`) and a safetensors header
//! (`safetensors::scan`) read by hand: whitespace, strings without escapes, unsigned integers. Each accepts strictly
//! JSON and no more, and answers `None` for anything else (an escape, a sign, a fraction), on which the readers
//! hand the text to serde_json, which reads all of JSON and words every error. Why by hand at all: serde_json
//! reads these texts at ~1.3 GB/s here, and they are most of what a header-only command does (see each reader).

/// The first offset from `at` before `to` that is not JSON whitespace (space, tab, LF, CR), or `to`.
pub(crate) fn ws(text: &[u8], mut at: usize, to: usize) -> usize {
    while at < to && matches!(text[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}

/// Whether `text[at]` (before `to`) is `byte`.
pub(crate) fn is(text: &[u8], at: usize, to: usize, byte: u8) -> bool {
    at < to && text[at] == byte
}

/// A string without escapes starting at `at` (its opening quote) and closed before `to`: its bytes and the offset
/// just after its closing quote. Not checked to be UTF-8: the readers check their whole text at once (a quote is
/// never inside a UTF-8 sequence, so a valid text has valid strings).
pub(crate) fn string(text: &[u8], at: usize, to: usize) -> Option<(&[u8], usize)> {
    if !is(text, at, to, b'"') {
        return None;
    }
    let body = &text[at + 1..to];
    let len = memchr::memchr2(b'"', b'\\', body)?;
    // The least byte, not `any(< 0x20)`: a fold without an early exit is vectorised.
    if body[len] != b'"' || body[..len].iter().fold(u8::MAX, |m, &b| m.min(b)) < 0x20 {
        return None;
    }
    Some((&body[..len], at + 1 + len + 1))
}

/// A JSON integer of digits only (no sign, fraction or exponent; no leading zero) that fits in a `u64`, starting
/// at `at`: it and the offset after it.
pub(crate) fn uint(text: &[u8], at: usize, to: usize) -> Option<(u64, usize)> {
    let mut end = at;
    let mut n: u64 = 0;
    while end < to && text[end].is_ascii_digit() {
        let digit = u64::from(text[end] - b'0');
        // 19 digits never overflow; only longer numbers are checked.
        n = if end - at < 19 {
            n * 10 + digit
        } else {
            n.checked_mul(10)?.checked_add(digit)?
        };
        end += 1;
    }
    let digits = end - at;
    if digits == 0 || (digits > 1 && text[at] == b'0') {
        return None;
    }
    if end < to && matches!(text[end], b'.' | b'e' | b'E') {
        return None;
    }
    Some((n, end))
}

/// One JSON value at the start of `text` (after whitespace), read by serde_json: it and the bytes it took.
pub(crate) fn one_value<'de, T: serde::Deserialize<'de>>(text: &'de [u8]) -> Option<(T, usize)> {
    let mut values = serde_json::Deserializer::from_slice(text).into_iter::<T>();
    let value = values.next()?.ok()?;
    Some((value, values.byte_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_json_spells_them() {
        let u = |s: &str| uint(s.as_bytes(), 0, s.len()).map(|(n, _)| n);
        assert_eq!(u("0"), Some(0));
        assert_eq!(u("7168,"), Some(7168));
        assert_eq!(u("18446744073709551615]"), Some(u64::MAX));
        for refused in [
            "",
            "-1",
            "01",
            "1.0",
            "1e3",
            "2E1",
            "18446744073709551616",
            "x",
        ] {
            assert_eq!(u(refused), None, "{refused}");
        }
    }

    #[test]
    fn strings_without_escapes_or_control_characters() {
        let s = |t: &str| string(t.as_bytes(), 0, t.len()).map(|(b, end)| (b.to_vec(), end));
        assert_eq!(s(r#""ab" "#), Some((b"ab".to_vec(), 4)));
        assert_eq!(s(r#""""#), Some((Vec::new(), 2)));
        assert_eq!(s(r#""a\"b""#), None);
        assert_eq!(s("\"a\tb\""), None);
        assert_eq!(s("\"ab"), None);
        assert_eq!(s("ab"), None);
        // Closed before `to` only.
        assert_eq!(string(b"\"ab\"", 0, 3), None);
    }

    #[test]
    fn one_value_says_where_it_ended() {
        let (v, used) = one_value::<serde_json::Value>(b" {\"a\": [1]} , 2").unwrap();
        assert_eq!((v, used), (serde_json::json!({"a": [1]}), 11));
        assert!(one_value::<serde_json::Value>(b"{\"a\": }").is_none());
    }
}
