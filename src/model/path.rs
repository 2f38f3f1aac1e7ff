//! Paths in reports: file names are bytes on Unix and need not be UTF-8, while JSON strings must be.

/// Serialises a path as a string, writing U+FFFD for bytes that are not UTF-8 instead of failing the whole report
/// (`#[serde(serialize_with = "crate::model::path::lossy")]`).
pub fn lossy<P: AsRef<std::path::Path>, S: serde::Serializer>(
    path: &P,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.as_ref().to_string_lossy())
}
