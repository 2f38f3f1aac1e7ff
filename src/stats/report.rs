//! The `stats` report: per tensor, per dtype and over the whole checkpoint. The JSON is this report.

use crate::model::checkpoint::{Format, Layout};
use crate::model::dtype::DType;
use crate::values::accumulate::Accumulator;
use crate::values::hist::HistogramSummary;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub format: Format,
    pub layout: Layout,
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// Glob patterns the report is restricted to; empty when every tensor counts.
    pub filters: Vec<String>,
    pub filtered: bool,
    pub tensor_count: u64,
    pub elements: u64,
    /// The same figure as `elements`, under the name `inspect` and `footprint` give it.
    pub parameters: u64,
    /// Bytes of tensor data read (tensors whose dtype is not decoded are not read).
    pub bytes_scanned: u64,
    /// Over every decoded tensor, whatever its dtype.
    pub total: Summary,
    /// One row per dtype, largest by bytes first.
    pub dtypes: Vec<DtypeStats>,
    pub flagged: Flags,
    /// Every selected tensor, in file order.
    pub tensors: Vec<TensorStats>,
}

/// Statistics of a set of values. Moments, min and max are over the finite values; `nan`, `pos_inf` and
/// `neg_inf` count what was left out. Fields that need a finite value are null when there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Decoded values: elements, or twice the elements for C64 (real and imaginary parts).
    pub values: u64,
    pub finite: u64,
    pub min: Option<Extreme>,
    pub max: Option<Extreme>,
    pub mean: Option<f64>,
    /// Population standard deviation (divided by the count of finite values).
    pub std: Option<f64>,
    pub mean_abs: Option<f64>,
    pub absmax: Option<Extreme>,
    /// Zeros of either sign.
    pub zeros: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
    /// Nonzero values below the dtype's smallest normal; null for integer and boolean dtypes.
    pub subnormal: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hist: Option<HistogramSummary>,
}

impl Summary {
    pub fn from_accumulator(acc: &Accumulator, has_subnormals: bool) -> Self {
        let any = acc.finite > 0;
        let exact = acc.exact_extremes;
        Summary {
            values: acc.values,
            finite: acc.finite,
            min: any.then(|| exact.map_or(Extreme::Float(acc.min), |(lo, _)| Extreme::Int(lo))),
            max: any.then(|| exact.map_or(Extreme::Float(acc.max), |(_, hi)| Extreme::Int(hi))),
            mean: acc.mean(),
            std: acc.std(),
            mean_abs: acc.mean_abs(),
            absmax: any.then(|| match exact {
                Some((lo, hi)) => Extreme::Int(lo.abs().max(hi.abs())),
                None => Extreme::Float(acc.min.abs().max(acc.max.abs())),
            }),
            zeros: acc.zeros,
            nan: acc.nan,
            pos_inf: acc.pos_inf,
            neg_inf: acc.neg_inf,
            subnormal: has_subnormals.then_some(acc.subnormal),
            hist: acc.hist.as_ref().and_then(|h| h.summary()),
        }
    }

    /// For tensors that were not decoded.
    pub fn empty() -> Self {
        Summary::from_accumulator(&Accumulator::new(false), false)
    }

    pub fn non_finite(&self) -> u64 {
        self.nan + self.pos_inf + self.neg_inf
    }
}

/// A least or greatest value: exact integers for 64-bit integer dtypes (which f64 would round), else f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extreme {
    Int(i128),
    Float(f64),
}

impl Extreme {
    pub fn to_f64(self) -> f64 {
        match self {
            Extreme::Int(x) => x as f64,
            Extreme::Float(x) => x,
        }
    }
}

impl Serialize for Extreme {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Extreme::Int(x) => s.serialize_i128(x),
            Extreme::Float(x) => s.serialize_f64(x),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TensorStats {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<u64>,
    pub elements: u64,
    pub decoded: bool,
    /// What a value is (e.g. "value", "raw stored integer"), or why the tensor was not decoded.
    pub unit: String,
    #[serde(flatten)]
    pub stats: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct DtypeStats {
    pub dtype: DType,
    pub tensors: u64,
    pub elements: u64,
    /// The same figure as `elements`, under the name `inspect`'s dtype rows give it.
    pub parameters: u64,
    pub bytes: u64,
    pub decoded: bool,
    #[serde(flatten)]
    pub stats: Summary,
}

/// Tensors worth a look, by name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Flags {
    pub nan: Vec<String>,
    /// Tensors with +Inf or −Inf.
    pub inf: Vec<String>,
    /// Tensors with at least one element, every one of them zero.
    pub all_zero: Vec<String>,
    pub not_decoded: Vec<String>,
}

impl Flags {
    pub fn is_empty(&self) -> bool {
        self.nan.is_empty()
            && self.inf.is_empty()
            && self.all_zero.is_empty()
            && self.not_decoded.is_empty()
    }
}

/// Several checkpoints, one report each (`stats a.safetensors b.safetensors`, or a folder holding several).
#[derive(Debug, Clone, Serialize)]
pub struct MultiStatsReport {
    pub checkpoints: Vec<StatsReport>,
}
