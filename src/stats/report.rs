//! The `stats` report: per tensor, per dtype and over the whole checkpoint. The JSON is this report.

use crate::model::checkpoint::{Format, Layout};
use crate::model::dtype::DType;
use crate::values::accumulate::Accumulator;
use crate::values::hist::HistogramSummary;
use serde::Serialize;
use std::path::PathBuf;

/// What `stats` finds in one checkpoint's values: a summary over all decoded tensors, per dtype and per tensor, and the tensors flagged; its JSON is `paramscope stats --format json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StatsReport {
    /// The file format the checkpoint was read as.
    pub format: Format,
    /// How the checkpoint lies on disk (one file, shards, a folder, GGUF parts).
    pub layout: Layout,
    /// The path the checkpoint was opened by, as the user gave it.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// Glob patterns the report is restricted to; empty when every tensor counts.
    pub filters: Vec<String>,
    /// Whether a filter restricted the report to the tensors `filters` match.
    pub filtered: bool,
    /// Tensors selected (decoded or not).
    pub tensor_count: u64,
    /// Elements of the selected tensors.
    pub elements: u64,
    /// Bytes of tensor data read (tensors whose dtype is not decoded are not read).
    pub bytes_scanned: u64,
    /// Over every decoded tensor, whatever its dtype.
    pub total: Summary,
    /// One row per dtype, largest by bytes first.
    pub dtypes: Vec<DtypeStats>,
    /// Selected tensors holding NaN, infinities, only zeros, or values not decoded.
    pub flagged: Flags,
    /// Every selected tensor, in file order.
    pub tensors: Vec<TensorStats>,
}

/// Statistics of a set of values. Moments, min and max are over the finite values; `nan`, `pos_inf` and
/// `neg_inf` count what was left out. Fields that need a finite value are null when there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Decoded values: elements, or twice the elements for C64 (real and imaginary parts).
    pub values: u64,
    /// Values that are neither NaN nor infinite: the ones the moments, `min` and `max` describe.
    pub finite: u64,
    /// The least finite value; `None` without one.
    pub min: Option<Extreme>,
    /// The greatest finite value; `None` without one.
    pub max: Option<Extreme>,
    /// Mean of the finite values; `None` without one.
    pub mean: Option<f64>,
    /// Population standard deviation (divided by the count of finite values).
    pub std: Option<f64>,
    /// Mean of the finite values' magnitudes; `None` without one.
    pub mean_abs: Option<f64>,
    /// The largest finite magnitude, `max(|min|, |max|)`; `None` without a finite value.
    pub absmax: Option<Extreme>,
    /// Zeros of either sign.
    pub zeros: u64,
    /// NaN values, whatever their payload or sign.
    pub nan: u64,
    /// Values equal to +∞.
    pub pos_inf: u64,
    /// Values equal to −∞.
    pub neg_inf: u64,
    /// Nonzero values below the dtype's smallest normal; null for integer and boolean dtypes.
    pub subnormal: Option<u64>,
    /// Power-of-two histogram of the finite nonzero magnitudes (`--hist`, per tensor only); `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hist: Option<HistogramSummary>,
}

impl Summary {
    /// The statistics an accumulator holds; `has_subnormals` says whether the dtype has subnormals to count (floats other than E8M0).
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

    /// NaN and infinite values together.
    pub fn non_finite(&self) -> u64 {
        self.nan + self.pos_inf + self.neg_inf
    }
}

/// A least or greatest value: exact integers for 64-bit integer dtypes (which f64 would round), else f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extreme {
    /// An exact integer (64-bit integer dtypes).
    Int(i128),
    /// A value as f64 (every other dtype; f64 holds them exactly).
    Float(f64),
}

impl Extreme {
    /// The value as f64 (an `Int` beyond 2^53 rounds).
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

/// The statistics of one tensor.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TensorStats {
    /// The tensor's name as the file stores it.
    pub name: String,
    /// The tensor's dtype as stored.
    pub dtype: DType,
    /// The tensor's shape, outermost dimension first.
    pub shape: Vec<u64>,
    /// Stored elements (the product of `shape`).
    pub elements: u64,
    /// Whether the values were decoded; when not, `stats` is empty and `unit` says why.
    pub decoded: bool,
    /// What a value is (e.g. "value", "raw stored integer"), or why the tensor was not decoded.
    pub unit: String,
    /// The tensor's statistics; flattened into the row's JSON.
    #[serde(flatten)]
    pub stats: Summary,
}

/// The statistics of every selected tensor of one dtype.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DtypeStats {
    /// The dtype the row summarises.
    pub dtype: DType,
    /// Selected tensors of this dtype.
    pub tensors: u64,
    /// Elements of those tensors.
    pub elements: u64,
    /// Data bytes of those tensors.
    pub bytes: u64,
    /// Whether this dtype's values are decoded; when not, `stats` is empty.
    pub decoded: bool,
    /// The merged statistics of those tensors (no histogram); flattened into the row's JSON.
    #[serde(flatten)]
    pub stats: Summary,
}

/// Tensors worth a look, by name.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Flags {
    /// Tensors with at least one NaN.
    pub nan: Vec<String>,
    /// Tensors with +Inf or −Inf.
    pub inf: Vec<String>,
    /// Tensors with at least one element, every one of them zero.
    pub all_zero: Vec<String>,
    /// Tensors whose dtype is not decoded (6-bit floats, most GGML block types), so nothing is known of their values.
    pub not_decoded: Vec<String>,
}

impl Flags {
    /// Whether no tensor is flagged.
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
    /// One report per checkpoint, in the order they were given.
    pub checkpoints: Vec<StatsReport>,
}
