//! `stats`: value statistics of a checkpoint's tensors, in one parallel pass over the mapped bytes.
//!
//! [`scan`] is the library entry point (also for `check`): it decodes every selected tensor
//! ([`values::decode`](crate::values::decode)), accumulates counts and moments per chunk
//! ([`values::accumulate`](crate::values::accumulate)), merges chunks per tensor in a fixed order
//! ([`values::scan`](crate::values::scan)) and aggregates per dtype and over the checkpoint ([`report`]).

pub mod report;

pub use crate::values::scan::{ScanOptions, DEFAULT_CHUNK_BYTES};
pub use report::{DtypeStats, Extreme, Flags, MultiStatsReport, StatsReport, Summary, TensorStats};

use crate::format::error::InputError;
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::model::dtype::DType;
use crate::model::filter::TensorFilter;
use crate::values::accumulate::Accumulator;
use crate::values::decode::{decoding, Decoding};
use crate::values::scan as value_scan;
use std::collections::BTreeMap;

/// Reads the values of every tensor the filter selects and summarises them.
pub fn scan(
    checkpoint: &Checkpoint,
    filter: &TensorFilter,
    options: &ScanOptions,
) -> Result<StatsReport, InputError> {
    let selected: Vec<&Tensor> = checkpoint
        .tensors
        .iter()
        .filter(|t| filter.matches(t))
        .collect();
    let accumulators = value_scan::scan_tensors(checkpoint, &selected, options)?;

    let mut total = Accumulator::new(false);
    let mut by_dtype: BTreeMap<DType, (DtypeStats, Option<Accumulator>)> = BTreeMap::new();
    let mut flagged = Flags::default();
    let mut tensors = Vec::with_capacity(selected.len());
    for (t, acc) in selected.iter().zip(&accumulators) {
        let has_subnormals = t.dtype.is_float() && t.dtype != DType::F8_E8M0;
        let stats = match acc {
            Some(a) => Summary::from_accumulator(a, has_subnormals),
            None => Summary::empty(),
        };
        if stats.nan > 0 {
            flagged.nan.push(t.name.clone());
        }
        if stats.pos_inf + stats.neg_inf > 0 {
            flagged.inf.push(t.name.clone());
        }
        if stats.values > 0 && stats.zeros == stats.values {
            flagged.all_zero.push(t.name.clone());
        }
        if acc.is_none() {
            flagged.not_decoded.push(t.name.clone());
        }
        let (row, dtype_acc) = by_dtype.entry(t.dtype).or_insert_with(|| {
            let row = DtypeStats {
                dtype: t.dtype,
                tensors: 0,
                elements: 0,
                parameters: 0,
                bytes: 0,
                decoded: acc.is_some(),
                stats: Summary::empty(),
            };
            (row, acc.as_ref().map(|_| Accumulator::new(false)))
        });
        row.tensors += 1;
        row.elements += t.elements();
        row.parameters += t.elements();
        row.bytes += t.bytes();
        if let (Some(d), Some(a)) = (dtype_acc.as_mut(), acc) {
            d.merge(&without_hist(a));
            total.merge(&without_hist(a));
        }
        tensors.push(TensorStats {
            name: t.name.clone(),
            dtype: t.dtype,
            shape: t.shape.clone(),
            elements: t.elements(),
            decoded: acc.is_some(),
            unit: unit(t).to_string(),
            stats,
        });
    }
    let mut dtypes: Vec<DtypeStats> = by_dtype
        .into_values()
        .map(|(mut row, acc)| {
            if let Some(a) = acc {
                let has_subnormals = row.dtype.is_float() && row.dtype != DType::F8_E8M0;
                row.stats = Summary::from_accumulator(&a, has_subnormals);
            }
            row
        })
        .collect();
    dtypes.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.dtype.cmp(&b.dtype)));
    let any_float = dtypes.iter().any(|d| d.stats.subnormal.is_some());
    Ok(StatsReport {
        format: checkpoint.format,
        layout: checkpoint.layout,
        path: checkpoint.path.clone(),
        filters: filter.patterns().to_vec(),
        filtered: filter.is_active(),
        tensor_count: selected.len() as u64,
        elements: selected.iter().map(|t| t.elements()).sum(),
        parameters: selected.iter().map(|t| t.elements()).sum(),
        bytes_scanned: selected
            .iter()
            .zip(&accumulators)
            .filter(|(_, a)| a.is_some())
            .map(|(t, _)| t.bytes())
            .sum(),
        total: Summary::from_accumulator(&total, any_float),
        dtypes,
        flagged,
        tensors,
    })
}

/// Bytes `scan` will read: the data of the selected tensors whose dtype is decoded (for progress reporting).
pub fn bytes_to_scan(checkpoint: &Checkpoint, filter: &TensorFilter) -> u64 {
    checkpoint
        .tensors
        .iter()
        .filter(|t| filter.matches(t) && !matches!(decoding(t.dtype), Decoding::NotDecoded(_)))
        .map(Tensor::bytes)
        .sum()
}

/// Histograms are per tensor only; aggregates would only repeat them at a cost.
fn without_hist(acc: &Accumulator) -> Accumulator {
    Accumulator {
        hist: None,
        ..acc.clone()
    }
}

/// What one value of the tensor is, so that raw statistics of packed or scaled data are read as such.
fn unit(t: &Tensor) -> &'static str {
    if let Decoding::NotDecoded(reason) = decoding(t.dtype) {
        return reason;
    }
    let last = t.name.rsplit('.').next().unwrap_or("");
    let packed = matches!(last, "qweight" | "qzeros") || last.ends_with("_blocks");
    match t.dtype {
        DType::C64 => "F32 component (real and imaginary parts counted separately)",
        DType::F8_E8M0 => "power-of-two scale",
        DType::F4 => "E2M1 element (block scales not applied)",
        DType::BOOL => "boolean (0 or 1)",
        DType::Ggml(_) => "dequantized value (block scales applied as ggml does)",
        d if !d.is_float() && packed => {
            "raw stored integer (packed quantized data, not dequantized)"
        }
        d if !d.is_float() => "integer",
        _ => "value",
    }
}
