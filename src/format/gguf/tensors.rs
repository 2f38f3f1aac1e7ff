//! GGUF tensor infos (`name | n_dims | dims (ggml order) | type | offset`) and the rules that place their data
//! in the file (docs/FORMATS.md §4, and ggml's `gguf_init_from_file_impl`).

use super::cursor::Cursor;
use crate::format::error::{GgufProblem, HeaderProblem, Problem};
use crate::model::checkpoint::Tensor;
use crate::model::dtype::ggml::{dtype_from_ggml_id, GgmlTypeError};
use crate::model::dtype::{DType, SizeError, Storage};
use std::collections::HashSet;
use std::io::{Read, Seek};

/// ggml's GGML_MAX_DIMS.
pub const MAX_DIMS: u32 = 4;
/// The fewest bytes a tensor info can take: name length, n_dims, type, offset.
pub const MIN_INFO_BYTES: u64 = 8 + 4 + 4 + 8;

/// One tensor info as stored, before its data is placed.
pub struct RawInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost dimension.
    pub dims: Vec<u64>,
    pub dtype: DType,
    pub offset: u64,
    pub bytes: u64,
}

/// Reads tensor info number `index` and checks it on its own: a known type, at most 4 dims, whole blocks, a
/// size that fits in 64 bits, an offset on the alignment.
pub fn read_info<R: Read + Seek>(
    c: &mut Cursor<R>,
    index: u64,
    alignment: u64,
) -> Result<RawInfo, Problem> {
    let name = c
        .string(true, &|| format!("name of tensor {index}"))?
        .unwrap_or_default();
    let n_dims = c.u32(&|| format!("n_dims of tensor '{name}'"))?;
    if n_dims > MAX_DIMS {
        return Err(GgufProblem::TooManyDims { name, n_dims }.into());
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for d in 0..n_dims {
        dims.push(c.u64(&|| format!("dimension {d} of tensor '{name}'"))?);
    }
    let type_id = c.u32(&|| format!("type of tensor '{name}'"))?;
    let offset = c.u64(&|| format!("data offset of tensor '{name}'"))?;

    let dtype = match dtype_from_ggml_id(type_id) {
        Ok(d) => d,
        Err(e @ GgmlTypeError::Retired { .. }) => {
            return Err(GgufProblem::RetiredTensorType {
                name,
                reason: e.to_string(),
            }
            .into())
        }
        Err(e @ GgmlTypeError::Unknown { .. }) => {
            return Err(GgufProblem::UnknownTensorType {
                name,
                reason: e.to_string(),
            }
            .into())
        }
    };
    // ggml quantises along rows: the innermost dimension must hold whole blocks, not just the total.
    if let Storage::Block { elements, .. } = dtype.storage() {
        let inner = dims.first().copied().unwrap_or(1);
        if inner % elements as u64 != 0 {
            return Err(GgufProblem::PartialBlock {
                name,
                dtype: dtype.to_string(),
                block: elements,
                inner,
                dims,
            }
            .into());
        }
    }
    let shape = pytorch_shape(&dims);
    let Some(elements) = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)) else {
        return Err(Problem::ShapeOverflow { name, shape });
    };
    let bytes = match dtype.bytes_for(elements) {
        Ok(b) => b,
        Err(
            SizeError::Overflow | SizeError::PartialByte { .. } | SizeError::PartialBlock { .. },
        ) => return Err(Problem::ShapeOverflow { name, shape }),
    };
    if offset % alignment != 0 {
        return Err(GgufProblem::OffsetMisaligned {
            name,
            offset,
            alignment,
        }
        .into());
    }
    Ok(RawInfo {
        name,
        dims,
        dtype,
        offset,
        bytes,
    })
}

/// ggml dims are innermost first; paramscope reports shapes outermost first, as PyTorch and safetensors do.
pub fn pytorch_shape(dims: &[u64]) -> Vec<u64> {
    dims.iter().rev().copied().collect()
}

pub fn align_up(n: u64, alignment: u64) -> Option<u64> {
    n.checked_add(alignment - 1)
        .map(|v| v / alignment * alignment)
}

/// Places the tensors: names unique; in header order each tensor starts exactly where the previous one ends,
/// rounded up to the alignment (ggml refuses anything else); the data lies inside the file.
/// Returns the tensors and where the (padded) data ends, relative to `data_start`.
pub fn place(
    infos: Vec<RawInfo>,
    alignment: u64,
    data_start: u64,
    file_size: u64,
) -> Result<(Vec<Tensor>, u64), Problem> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(infos.len());
    for info in &infos {
        if !seen.insert(&info.name) {
            return Err(Problem::DuplicateTensor(info.name.clone()));
        }
    }
    let mut expected = 0u64;
    let mut previous: Option<(&str, u64, u64)> = None;
    for info in &infos {
        // Past the end first: an offset far beyond the file is a truncated or corrupt file, whatever else it is.
        let data_end = data_start as u128 + info.offset as u128 + info.bytes as u128;
        if data_end > file_size as u128 {
            return Err(GgufProblem::DataPastEnd {
                name: info.name.clone(),
                data_end,
                size: file_size,
            }
            .into());
        }
        if info.offset != expected {
            return Err(misplaced(info, expected, previous));
        }
        let end = info.offset + info.bytes;
        previous = Some((&info.name, info.offset, end));
        // Within the file, so no overflow: end ≤ file size, and padding adds less than the alignment.
        expected = align_up(end, alignment).expect("end lies inside the file");
    }
    let tensors = infos
        .into_iter()
        .map(|i| Tensor {
            shape: pytorch_shape(&i.dims),
            name: i.name,
            dtype: i.dtype,
            file: 0,
            data_offsets: [i.offset, i.offset + i.bytes],
            view: None,
        })
        .collect();
    Ok((tensors, expected))
}

/// Says how a tensor is off its expected place: overlapping the previous one, leaving a gap, or out of order.
fn misplaced(info: &RawInfo, expected: u64, previous: Option<(&str, u64, u64)>) -> Problem {
    if info.offset > expected {
        return GgufProblem::OffsetGap {
            name: info.name.clone(),
            offset: info.offset,
            expected,
            gap: info.offset - expected,
        }
        .into();
    }
    match previous {
        Some((prev, prev_begin, prev_end))
            if info.offset >= prev_begin && info.offset < prev_end =>
        {
            HeaderProblem::OffsetOverlap {
                name: info.name.clone(),
                begin: info.offset,
                previous: prev.to_string(),
                previous_end: prev_end,
                overlap: prev_end - info.offset,
            }
            .into()
        }
        _ => GgufProblem::OffsetOrder {
            name: info.name.clone(),
            offset: info.offset,
            expected,
        }
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, offset: u64, bytes: u64) -> RawInfo {
        RawInfo {
            name: name.into(),
            dims: vec![bytes / 4],
            dtype: DType::F32,
            offset,
            bytes,
        }
    }

    #[test]
    fn tensors_follow_each_other_at_aligned_offsets() {
        let (tensors, end) =
            place(vec![info("a", 0, 40), info("b", 64, 8)], 32, 96, 96 + 72).unwrap();
        assert_eq!(tensors[1].data_offsets, [64, 72]);
        assert_eq!(end, 96);
        assert_eq!(align_up(40, 32), Some(64));
        assert_eq!(align_up(64, 32), Some(64));
        assert_eq!(align_up(u64::MAX, 32), None);
    }

    #[test]
    fn overlap_gap_order_and_end_are_told_apart() {
        let e = place(vec![info("a", 0, 64), info("b", 32, 8)], 32, 0, 1000).unwrap_err();
        assert_eq!(e.code(), "offset_overlap");
        let e = place(vec![info("a", 0, 8), info("b", 64, 8)], 32, 0, 1000).unwrap_err();
        assert_eq!(e.code(), "offset_gap");
        let e = place(vec![info("a", 32, 8), info("b", 0, 8)], 32, 0, 1000).unwrap_err();
        assert_eq!(e.code(), "offset_gap");
        let e = place(
            vec![info("a", 0, 8), info("b", 32, 8), info("c", 0, 8)],
            32,
            0,
            1000,
        )
        .unwrap_err();
        assert_eq!(e.code(), "gguf_offset_order");
        let e = place(vec![info("a", 0, 8), info("a", 32, 8)], 32, 0, 1000).unwrap_err();
        assert_eq!(e.code(), "duplicate_tensor");
        let e = place(vec![info("a", 0, 40)], 32, 32, 71).unwrap_err();
        assert_eq!(e.code(), "truncated");
        assert!(e.to_string().contains("ends at byte 72"), "{e}");
    }
}
