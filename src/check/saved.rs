//! Saved reports (`--baseline`, `--expect-tensors`) read back as JSON.

use std::path::{Path, PathBuf};

/// Why a saved report could not be read as JSON. The message says what is wrong with the file; the caller names
/// the file and the flag it came from (`--baseline main.json: not JSON: …`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SavedJsonError {
    /// The file could not be read.
    #[error("cannot read: {source}")]
    Read {
        /// The saved report's path, as given.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is UTF-16 text, which JSON readers refuse.
    #[error(
        "UTF-16 text (Windows PowerShell's `>` writes it); save the report as UTF-8 \
         (`| Out-File -Encoding utf8 FILE`)"
    )]
    Utf16 {
        /// The saved report's path, as given.
        path: PathBuf,
    },
    /// The file is not valid JSON.
    #[error("not JSON: {source}")]
    NotJson {
        /// The saved report's path, as given.
        path: PathBuf,
        /// The parser's error, with line and column.
        source: serde_json::Error,
    },
}

/// Reads a saved report as JSON. One saved on Windows may start with a byte order mark: UTF-8's is skipped
/// (PowerShell's `Out-File -Encoding utf8` writes it), UTF-16 is named (Windows PowerShell's `>` writes it),
/// rather than "expected value at line 1 column 1".
pub fn read_saved_json(path: &Path) -> Result<serde_json::Value, SavedJsonError> {
    let bytes = std::fs::read(path).map_err(|source| SavedJsonError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(SavedJsonError::Utf16 {
            path: path.to_path_buf(),
        });
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    serde_json::from_slice(text).map_err(|source| SavedJsonError::NotJson {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_is_wrong_with_the_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let utf16 = dir.path().join("utf16.json");
        std::fs::write(&utf16, b"\xFF\xFE{\0}\0").unwrap();
        let e = read_saved_json(&utf16).unwrap_err();
        assert!(matches!(&e, SavedJsonError::Utf16 { path } if *path == utf16));
        assert_eq!(
            e.to_string(),
            "UTF-16 text (Windows PowerShell's `>` writes it); save the report as UTF-8 \
             (`| Out-File -Encoding utf8 FILE`)"
        );

        let bom = dir.path().join("bom.json");
        std::fs::write(&bom, b"\xEF\xBB\xBF{\"a\": 1}").unwrap();
        assert_eq!(read_saved_json(&bom).unwrap(), serde_json::json!({"a": 1}));

        let text = dir.path().join("text.json");
        std::fs::write(&text, b"hello").unwrap();
        let e = read_saved_json(&text).unwrap_err();
        assert_eq!(e.to_string(), "not JSON: expected value at line 1 column 1");
        assert!(matches!(e, SavedJsonError::NotJson { .. }));

        let missing = dir.path().join("missing.json");
        let e = read_saved_json(&missing).unwrap_err();
        assert!(matches!(&e, SavedJsonError::Read { path, source }
            if *path == missing && source.kind() == std::io::ErrorKind::NotFound));
        assert!(e.to_string().starts_with("cannot read: "), "{e}");
    }
}
