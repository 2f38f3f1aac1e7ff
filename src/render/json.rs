//! JSON output: the report structs serialised as they are, pretty-printed, integers exact.

use serde::Serialize;

/// Any report as pretty-printed JSON, integers exact; the CLI's `--format json`.
pub fn to_string<T: Serialize>(value: &T) -> String {
    // Serialising our own report types cannot fail: they hold no maps with non-string keys.
    serde_json::to_string_pretty(value).expect("report serialises")
}
