//! GGUF metadata key/values: `key: string | value_type: u32 | value`, arrays possibly nested (docs/FORMATS.md §4).

use super::cursor::Cursor;
use crate::format::error::{GgufProblem, Problem};
use crate::model::metadata::{MetaArray, MetaKind, MetaValue, MetadataDetail};
use std::io::{Read, Seek};

/// Arrays of arrays are legal GGUF (gguf-py writes them; ggml refuses them); deeper than this is an attack on
/// the reader's stack, not a model.
const MAX_NESTING: u32 = 8;

/// GGUF value type ids (`GGUFValueType` in gguf-py).
pub fn kind_of(id: u32) -> Option<MetaKind> {
    Some(match id {
        0 => MetaKind::U8,
        1 => MetaKind::I8,
        2 => MetaKind::U16,
        3 => MetaKind::I16,
        4 => MetaKind::U32,
        5 => MetaKind::I32,
        6 => MetaKind::F32,
        7 => MetaKind::Bool,
        8 => MetaKind::String,
        9 => MetaKind::Array,
        10 => MetaKind::U64,
        11 => MetaKind::I64,
        12 => MetaKind::F64,
        _ => return None,
    })
}

/// The GGUF value type id of a metadata kind (0 for `u8` … 12 for `f64`).
pub fn id_of(kind: MetaKind) -> u32 {
    (0..=12)
        .find(|&id| kind_of(id) == Some(kind))
        .expect("every kind has an id")
}

/// The fewest bytes one value of this kind can take: what a claimed array length is checked against.
fn min_bytes(kind: MetaKind) -> u64 {
    match kind {
        MetaKind::U8 | MetaKind::I8 | MetaKind::Bool => 1,
        MetaKind::U16 | MetaKind::I16 => 2,
        MetaKind::U32 | MetaKind::I32 | MetaKind::F32 => 4,
        MetaKind::U64 | MetaKind::I64 | MetaKind::F64 => 8,
        // A string is at least its length; an array at least its element type and length.
        MetaKind::String => 8,
        MetaKind::Array => 12,
    }
}

/// The fixed size of one value, for kinds that have one (skipped in bulk).
fn fixed_bytes(kind: MetaKind) -> Option<u64> {
    match kind {
        MetaKind::String | MetaKind::Array => None,
        k => Some(min_bytes(k)),
    }
}

/// Reads key/value number `index`.
pub fn read_kv<R: Read + Seek>(
    c: &mut Cursor<R>,
    index: u64,
    detail: MetadataDetail,
) -> Result<(String, MetaValue), Problem> {
    let key = c
        .string(true, &|| format!("key of metadata entry {index}"))?
        .unwrap_or_default();
    let at = c.pos();
    let type_id = c.u32(&|| format!("value type of '{key}'"))?;
    let kind = kind_of(type_id).ok_or_else(|| GgufProblem::UnknownValueType {
        what: format!("metadata '{key}'"),
        at,
        value_type: type_id,
    })?;
    let value = read_value(c, kind, &key, detail, 0)?;
    Ok((key, value))
}

/// Reads one value of `kind` (`depth`: how many arrays enclose it).
fn read_value<R: Read + Seek>(
    c: &mut Cursor<R>,
    kind: MetaKind,
    key: &str,
    detail: MetadataDetail,
    depth: u32,
) -> Result<MetaValue, Problem> {
    let what = || format!("value of '{key}'");
    Ok(match kind {
        MetaKind::U8 => MetaValue::U8(c.u8(&what)?),
        MetaKind::I8 => MetaValue::I8(c.u8(&what)? as i8),
        MetaKind::U16 => MetaValue::U16(c.u16(&what)?),
        MetaKind::I16 => MetaValue::I16(c.u16(&what)? as i16),
        MetaKind::U32 => MetaValue::U32(c.u32(&what)?),
        MetaKind::I32 => MetaValue::I32(c.u32(&what)? as i32),
        MetaKind::F32 => MetaValue::F32(f32::from_bits(c.u32(&what)?)),
        MetaKind::Bool => MetaValue::Bool(c.u8(&what)? != 0),
        MetaKind::String => MetaValue::String(c.string(true, &what)?.unwrap_or_default()),
        MetaKind::U64 => MetaValue::U64(c.u64(&what)?),
        MetaKind::I64 => MetaValue::I64(c.u64(&what)? as i64),
        MetaKind::F64 => MetaValue::F64(f64::from_bits(c.u64(&what)?)),
        MetaKind::Array => MetaValue::Array(read_array(c, key, detail, depth)?),
    })
}

/// Reads an array header, checks its length against the bytes left, keeps the first elements and skips the rest.
fn read_array<R: Read + Seek>(
    c: &mut Cursor<R>,
    key: &str,
    detail: MetadataDetail,
    depth: u32,
) -> Result<MetaArray, Problem> {
    let (element, len) = array_header(c, key, depth)?;
    let kept = len.min(detail.elements_kept() as u64);
    // `kept` is bounded by the file: `array_header` checked len × min_bytes against the bytes left.
    let mut values = Vec::with_capacity(kept as usize);
    for _ in 0..kept {
        values.push(read_value(c, element, key, detail, depth + 1)?);
    }
    skip_elements(c, element, len - kept, key, depth)?;
    Ok(MetaArray {
        element,
        len,
        values,
    })
}

fn array_header<R: Read + Seek>(
    c: &mut Cursor<R>,
    key: &str,
    depth: u32,
) -> Result<(MetaKind, u64), Problem> {
    if depth >= MAX_NESTING {
        return Err(GgufProblem::BadMetadata {
            key: key.to_string(),
            reason: format!("arrays nested more than {MAX_NESTING} deep"),
        }
        .into());
    }
    let at = c.pos();
    let type_id = c.u32(&|| format!("array element type of '{key}'"))?;
    let element = kind_of(type_id).ok_or_else(|| GgufProblem::UnknownValueType {
        what: format!("array element of metadata '{key}'"),
        at,
        value_type: type_id,
    })?;
    let len_at = c.pos();
    let len = c.u64(&|| format!("array length of '{key}'"))?;
    let needed = len as u128 * min_bytes(element) as u128;
    if needed > c.remaining() as u128 {
        return Err(GgufProblem::ArrayPastEnd {
            what: format!("metadata '{key}'"),
            at: len_at,
            length: len,
            element: element.name().to_string(),
            min_bytes: needed,
            available: c.remaining(),
        }
        .into());
    }
    Ok((element, len))
}

/// Skips `count` elements without materialising them: fixed-size ones in one step, strings one length at a time.
fn skip_elements<R: Read + Seek>(
    c: &mut Cursor<R>,
    element: MetaKind,
    count: u64,
    key: &str,
    depth: u32,
) -> Result<(), Problem> {
    if let Some(size) = fixed_bytes(element) {
        // count × size ≤ bytes left: checked by `array_header`.
        return c.skip(count * size);
    }
    for _ in 0..count {
        match element {
            MetaKind::String => {
                c.string(false, &|| format!("value of '{key}'"))?;
            }
            _ => {
                let (inner, len) = array_header(c, key, depth + 1)?;
                skip_elements(c, inner, len, key, depth + 1)?;
            }
        }
    }
    Ok(())
}
