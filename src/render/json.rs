//! JSON output: the report structs serialised as they are, pretty-printed, integers exact.

use serde::Serialize;

pub fn to_string<T: Serialize>(value: &T) -> String {
    // Serialising our own report types cannot fail: they hold no maps with non-string keys.
    serde_json::to_string_pretty(value).expect("report serialises")
}

/// Paths in JSON: a file name that is not UTF-8 (Unix allows any bytes) is written with U+FFFD for the bad bytes
/// instead of failing the whole report.
pub fn lossy_path<P: AsRef<std::path::Path>, S: serde::Serializer>(
    path: &P,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.as_ref().to_string_lossy())
}
