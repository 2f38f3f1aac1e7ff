//! Typed key/value metadata stored in a weight file (GGUF's key/values), format-neutral.
//!
//! Arrays can be huge (a tokenizer's 128k tokens), so readers keep the first few elements and the length unless
//! asked for everything ([`MetadataDetail::Full`]).

use serde_json::{json, Value};
use std::fmt;

/// How much of each metadata array a reader keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataDetail {
    /// Element type, length and the first few elements.
    #[default]
    Summary,
    /// Every element (up to 16,777,216 per array).
    Full,
}

/// Elements kept per array in summary mode.
pub const SUMMARY_ELEMENTS: usize = 8;
/// Elements kept per array even in full mode: a bound on memory for a file that is mostly one array.
pub const FULL_ARRAY_LIMIT: usize = 1 << 24;

impl MetadataDetail {
    /// The most elements of an array a reader keeps at this detail.
    pub fn elements_kept(self) -> usize {
        match self {
            MetadataDetail::Summary => SUMMARY_ELEMENTS,
            MetadataDetail::Full => FULL_ARRAY_LIMIT,
        }
    }
}

/// The type of a metadata value (GGUF's value types, by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    /// Unsigned 8-bit integer (GGUF value type 0).
    U8,
    /// Signed 8-bit integer (GGUF value type 1).
    I8,
    /// Unsigned 16-bit integer (GGUF value type 2).
    U16,
    /// Signed 16-bit integer (GGUF value type 3).
    I16,
    /// Unsigned 32-bit integer (GGUF value type 4).
    U32,
    /// Signed 32-bit integer (GGUF value type 5).
    I32,
    /// 32-bit float (GGUF value type 6).
    F32,
    /// Boolean (GGUF value type 7).
    Bool,
    /// UTF-8 string (GGUF value type 8).
    String,
    /// Array of values of one type (GGUF value type 9).
    Array,
    /// Unsigned 64-bit integer (GGUF value type 10).
    U64,
    /// Signed 64-bit integer (GGUF value type 11).
    I64,
    /// 64-bit float (GGUF value type 12).
    F64,
}

impl MetaKind {
    /// The type's short lower-case name, as paramscope shows it and JSON carries it (`u32`, `string`, `array`, …).
    pub fn name(self) -> &'static str {
        match self {
            MetaKind::U8 => "u8",
            MetaKind::I8 => "i8",
            MetaKind::U16 => "u16",
            MetaKind::I16 => "i16",
            MetaKind::U32 => "u32",
            MetaKind::I32 => "i32",
            MetaKind::F32 => "f32",
            MetaKind::Bool => "bool",
            MetaKind::String => "string",
            MetaKind::Array => "array",
            MetaKind::U64 => "u64",
            MetaKind::I64 => "i64",
            MetaKind::F64 => "f64",
        }
    }
}

impl fmt::Display for MetaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One typed metadata value, as stored (GGUF's key/values).
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// An unsigned 8-bit integer.
    U8(u8),
    /// A signed 8-bit integer.
    I8(i8),
    /// An unsigned 16-bit integer.
    U16(u16),
    /// A signed 16-bit integer.
    I16(i16),
    /// An unsigned 32-bit integer.
    U32(u32),
    /// A signed 32-bit integer.
    I32(i32),
    /// A 32-bit float.
    F32(f32),
    /// A boolean.
    Bool(bool),
    /// A string (invalid UTF-8 replaced by U+FFFD).
    String(String),
    /// An array, possibly with only its first elements kept.
    Array(MetaArray),
    /// An unsigned 64-bit integer.
    U64(u64),
    /// A signed 64-bit integer.
    I64(i64),
    /// A 64-bit float.
    F64(f64),
}

/// An array: its element type, its full length, and the elements kept (all of them, or the first few).
#[derive(Debug, Clone, PartialEq)]
pub struct MetaArray {
    /// The type of every element.
    pub element: MetaKind,
    /// The array's length in the file, whatever was kept.
    pub len: u64,
    /// The elements kept, first to last: all of them, or the first [`MetadataDetail::elements_kept`].
    pub values: Vec<MetaValue>,
}

impl MetaArray {
    /// Whether every element was kept (`values.len() == len`).
    pub fn is_complete(&self) -> bool {
        self.values.len() as u64 == self.len
    }
}

impl MetaValue {
    /// The value's type.
    pub fn kind(&self) -> MetaKind {
        match self {
            MetaValue::U8(_) => MetaKind::U8,
            MetaValue::I8(_) => MetaKind::I8,
            MetaValue::U16(_) => MetaKind::U16,
            MetaValue::I16(_) => MetaKind::I16,
            MetaValue::U32(_) => MetaKind::U32,
            MetaValue::I32(_) => MetaKind::I32,
            MetaValue::F32(_) => MetaKind::F32,
            MetaValue::Bool(_) => MetaKind::Bool,
            MetaValue::String(_) => MetaKind::String,
            MetaValue::Array(_) => MetaKind::Array,
            MetaValue::U64(_) => MetaKind::U64,
            MetaValue::I64(_) => MetaKind::I64,
            MetaValue::F64(_) => MetaKind::F64,
        }
    }

    /// The value as a non-negative integer, whatever integer type stores it.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetaValue::U8(v) => Some(v.into()),
            MetaValue::U16(v) => Some(v.into()),
            MetaValue::U32(v) => Some(v.into()),
            MetaValue::U64(v) => Some(v),
            MetaValue::I8(v) => u64::try_from(v).ok(),
            MetaValue::I16(v) => u64::try_from(v).ok(),
            MetaValue::I32(v) => u64::try_from(v).ok(),
            MetaValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The text, when the value is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The array, when the value is one.
    pub fn as_array(&self) -> Option<&MetaArray> {
        match self {
            MetaValue::Array(a) => Some(a),
            _ => None,
        }
    }

    /// JSON: scalars as JSON scalars (F32 through its shortest decimal form, so 1e-5 stays 1e-5), arrays as
    /// `{"type": "array", "element": TYPE, "length": N, "values": [...]}` where `values` may be only the first
    /// elements (compare its length with `length`).
    pub fn to_json(&self) -> Value {
        match self {
            MetaValue::U8(v) => json!(v),
            MetaValue::I8(v) => json!(v),
            MetaValue::U16(v) => json!(v),
            MetaValue::I16(v) => json!(v),
            MetaValue::U32(v) => json!(v),
            MetaValue::I32(v) => json!(v),
            MetaValue::F32(v) => v
                .to_string()
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                .unwrap_or(Value::Null),
            MetaValue::Bool(v) => json!(v),
            MetaValue::String(v) => json!(v),
            MetaValue::U64(v) => json!(v),
            MetaValue::I64(v) => json!(v),
            MetaValue::F64(v) => json!(v),
            MetaValue::Array(a) => json!({
                "type": "array",
                "element": a.element.name(),
                "length": a.len,
                "values": a.values.iter().map(MetaValue::to_json).collect::<Vec<_>>(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_f32_short_and_marks_partial_arrays() {
        assert_eq!(MetaValue::F32(1e-5).to_json(), json!(1e-5));
        assert_eq!(MetaValue::F32(f32::NAN).to_json(), Value::Null);
        let a = MetaValue::Array(MetaArray {
            element: MetaKind::String,
            len: 3,
            values: vec![MetaValue::String("a".into())],
        });
        assert_eq!(
            a.to_json(),
            json!({"type": "array", "element": "string", "length": 3, "values": ["a"]})
        );
        assert!(!a.as_array().unwrap().is_complete());
    }

    #[test]
    fn integers_of_any_width_read_as_u64() {
        assert_eq!(MetaValue::U16(7).as_u64(), Some(7));
        assert_eq!(MetaValue::I32(-1).as_u64(), None);
        assert_eq!(MetaValue::I64(5).as_u64(), Some(5));
        assert_eq!(MetaValue::F32(5.0).as_u64(), None);
    }
}
