//! The rules and how each one is evaluated against a loaded checkpoint.

use super::baseline::GrowthRule;
use super::expect::Expected;
use super::limit::Limit;
use super::values::ValueRule;
use super::{Comparison, Measure, Outcome, RuleResult};
use crate::inspect;
use crate::model::checkpoint::{Checkpoint, Format, Layout, PickleGlobal, Verdict};
use crate::model::dtype::DType;
use std::path::PathBuf;

/// One rule of the gate, with its limit; built from settings by `RuleSettings::into_rules` and evaluated by `check::check`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rule {
    /// The checkpoint loaded: headers in bounds, offsets tiling the data, no trailing bytes, index consistent.
    /// Always evaluated first; a checkpoint that fails it never reaches the other rules.
    Structure,
    /// `max-params`: at most this many parameters (every element of every tensor).
    MaxParams(Limit),
    /// `min-params`: at least this many parameters (every element of every tensor).
    MinParams(Limit),
    /// Parameters per token (a MoE model's used experts only; all of a dense model's), at most this.
    MaxActiveParams(Limit),
    /// The logical parameter count (`inspect`'s `semantics.logical_parameters`: a 4-bit checkpoint's packed
    /// weights counted as the weights they stand for, auxiliaries left out) at most this.
    MaxLogicalParams(Limit),
    /// The logical parameter count at least this: what `--min-params 7B` means for an AWQ or GPTQ checkpoint.
    MinLogicalParams(Limit),
    /// Tensor data bytes (the sum over tensors, headers excluded), as `inspect` reports `tensor_bytes`.
    MaxBytes(Limit),
    /// The size on disk of every file (shard), headers included.
    MaxFileBytes(Limit),
    /// Dtypes allowed; any other fails.
    AllowedDtypes(Vec<DType>),
    /// Dtypes forbidden; any tensor of one fails.
    ForbiddenDtypes(Vec<DType>),
    /// `expect-tensors`: the names, dtypes and shapes a checkpoint must hold, from a file.
    ExpectTensors(Box<Expected>),
    /// `max-params-growth`, `max-bytes-growth`: at most this growth over a baseline report.
    Growth(GrowthRule),
    /// Needs the tensors' values: evaluated by [`super::check`] on one scan shared by every value rule.
    Values(ValueRule),
    /// Hashes every file of the checkpoint: evaluated by [`super::check`] ([`super::verify`]).
    Verify(Box<crate::verify::VerifyOptions>),
    /// Every global a PyTorch pickle names is allowed, or accepted by name (`--allow-global MODULE.NAME`).
    /// Evaluated for checkpoints with a pickle only.
    PickleSafety(Vec<String>),
}

/// What the structural rule found: the checkpoint as read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Structure {
    /// Files read.
    pub files: usize,
    /// Tensors found.
    pub tensors: usize,
    /// What the format's reader checked.
    pub format: FormatChecks,
    /// Read through an index, which was found consistent with its shards.
    pub sharded: bool,
    /// Why a well-formed checkpoint holds nothing to check (every other rule would measure zeros and pass):
    /// the rule fails.
    pub no_tensors: Option<String>,
    /// What the reader noted without failing (a weight file the index does not name, a shard read alone).
    pub notes: Vec<String>,
}

/// The format-specific part of the structural check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatChecks {
    /// Headers in bounds, tensors tiling the data exactly, no trailing bytes.
    Safetensors,
    /// Headers in bounds, tensors in order on `alignment`; `trailing_bytes` after the padded end of the tensor
    /// data (the reader accepts them, as llama.cpp does).
    Gguf {
        /// `general.alignment`, else 32: tensor data starts at multiples of it.
        alignment: u64,
        /// Bytes the files hold after the padded end of their tensor data, summed over the files.
        trailing_bytes: u64,
    },
    /// Pickles read without running them, every tensor inside its storage, every storage inside the file.
    Pytorch,
}

/// `pickle-safety`: the globals a PyTorch checkpoint's pickles name that no allow-list accepts (docs/pytorch.md).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PickleSafety {
    /// Globals named, allowed or not (one per `module.name`).
    pub globals: usize,
    /// Dangerous or unknown globals `--allow-global` did not accept, with their verdicts and counts, in order of
    /// first appearance: the rule fails on any.
    pub refused: Vec<PickleGlobal>,
    /// Dangerous or unknown globals `--allow-global` accepted by name.
    pub accepted: Vec<PickleGlobal>,
}

impl PickleSafety {
    /// Of the refused globals, those judged dangerous (the others are unknown).
    pub fn dangerous(&self) -> usize {
        self.refused
            .iter()
            .filter(|g| g.verdict == Verdict::Dangerous)
            .count()
    }
}

/// A figure against a limit: `max-params`, `min-params`, `max-bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compared {
    /// Parameters or tensor bytes.
    pub measure: Measure,
    /// The figure measured on the checkpoint, exact.
    pub measured: u64,
    /// The limit, with the text the user wrote it as.
    pub limit: Limit,
    /// How `measured` compared with the limit.
    pub comparison: Comparison,
}

/// A figure that could not be measured, and why (the fields missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmeasured {
    /// The limit the rule was given, as written.
    pub limit: Limit,
    /// Why the figure is unknown: the config fields that are missing.
    pub why: String,
}

/// `max-file-bytes`: the files' sizes on disk against the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileSizes {
    /// The most bytes one file may take on disk.
    pub limit: Limit,
    /// Files in the checkpoint.
    pub files: usize,
    /// The largest file (of equals, the last in the checkpoint's order).
    pub largest: Option<FileSize>,
    /// Every file over the limit, in the checkpoint's order.
    pub over: Vec<FileSize>,
}

/// One file's size on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileSize {
    /// The file's path as shown to the user.
    pub path: PathBuf,
    /// Its size in bytes, headers included.
    pub bytes: u64,
}

/// Whether the dtypes a rule lists are the only ones allowed (`--dtype`) or forbidden (`--forbid-dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtypeListing {
    /// Only the listed dtypes may appear (`--dtype`).
    Allowed,
    /// None of the listed dtypes may appear (`--forbid-dtype`).
    Forbidden,
}

/// `dtype`, `forbid-dtype`: the dtypes present against those listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DtypeCheck {
    /// Whether `listed` is an allow-list or a deny-list.
    pub listing: DtypeListing,
    /// The dtypes the rule lists, as given.
    pub listed: Vec<DType>,
    /// Every dtype present with its tensor count, in `inspect`'s order.
    pub present: Vec<DtypeCount>,
    /// Those of `present` the rule refuses.
    pub offending: Vec<DtypeCount>,
    /// The tensors of an offending dtype (name, dtype), in the checkpoint's order.
    pub tensors: Vec<(String, DType)>,
}

/// A dtype present in the checkpoint, with how many tensors have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DtypeCount {
    /// The dtype.
    pub dtype: DType,
    /// Tensors of this dtype.
    pub tensors: u64,
}

impl Rule {
    /// The rule's name, which is also its flag and rules-file key (`max-params`).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Structure => "structure",
            Rule::MaxParams(_) => "max-params",
            Rule::MinParams(_) => "min-params",
            Rule::MaxActiveParams(_) => "max-active-params",
            Rule::MaxLogicalParams(_) => "max-logical-params",
            Rule::MinLogicalParams(_) => "min-logical-params",
            Rule::MaxBytes(_) => "max-bytes",
            Rule::MaxFileBytes(_) => "max-file-bytes",
            Rule::AllowedDtypes(_) => "dtype",
            Rule::ForbiddenDtypes(_) => "forbid-dtype",
            Rule::ExpectTensors(_) => "expect-tensors",
            Rule::Growth(g) => g.name(),
            Rule::Values(v) => v.name(),
            Rule::Verify(_) => "verify",
            Rule::PickleSafety(_) => "pickle-safety",
        }
    }

    /// Evaluates a header rule; `None` for a value rule, which needs a scan.
    pub fn evaluate(&self, checkpoint: &Checkpoint) -> Option<RuleResult> {
        let compared = |measure, measured, limit: &Limit, compare: fn(u64, u64) -> Comparison| {
            Outcome::Compared(Compared {
                measure,
                measured,
                limit: limit.clone(),
                comparison: compare(measured, limit.value),
            })
        };
        let outcome = match self {
            Rule::Structure => Outcome::Structure(structure(checkpoint)),
            Rule::MaxParams(limit) => compared(
                Measure::Parameters,
                checkpoint.parameters(),
                limit,
                Comparison::at_most,
            ),
            Rule::MinParams(limit) => compared(
                Measure::Parameters,
                checkpoint.parameters(),
                limit,
                Comparison::at_least,
            ),
            Rule::MaxActiveParams(limit) => match active_parameters(checkpoint) {
                Ok(n) => compared(Measure::Parameters, n, limit, Comparison::at_most),
                Err(why) => Outcome::Unmeasured(Unmeasured {
                    limit: limit.clone(),
                    why,
                }),
            },
            Rule::MaxLogicalParams(limit) => compared(
                Measure::Parameters,
                logical_parameters(checkpoint),
                limit,
                Comparison::at_most,
            ),
            Rule::MinLogicalParams(limit) => compared(
                Measure::Parameters,
                logical_parameters(checkpoint),
                limit,
                Comparison::at_least,
            ),
            Rule::MaxBytes(limit) => compared(
                Measure::TensorBytes,
                checkpoint.tensor_bytes(),
                limit,
                Comparison::at_most,
            ),
            Rule::MaxFileBytes(limit) => Outcome::FileSizes(file_sizes(checkpoint, limit)),
            Rule::AllowedDtypes(allowed) => {
                Outcome::Dtypes(dtypes(checkpoint, allowed, DtypeListing::Allowed))
            }
            Rule::ForbiddenDtypes(forbidden) => {
                Outcome::Dtypes(dtypes(checkpoint, forbidden, DtypeListing::Forbidden))
            }
            Rule::ExpectTensors(expected) => Outcome::Tensors(expected.evaluate(checkpoint)),
            Rule::Growth(g) => Outcome::Growth(g.evaluate(checkpoint)),
            Rule::PickleSafety(accepted) => {
                Outcome::PickleSafety(pickle_safety(checkpoint, accepted))
            }
            Rule::Values(_) | Rule::Verify(_) => return None,
        };
        Some(RuleResult {
            rule: self.name(),
            outcome,
        })
    }
}

/// The parameters per token, as `inspect` reports `active_parameters`; `Err` says which fields are missing.
fn active_parameters(checkpoint: &Checkpoint) -> Result<u64, String> {
    let config = match crate::interpret::hf_config::for_checkpoint(checkpoint) {
        Some(Ok(c)) => Some(c),
        _ => None,
    };
    let classified = crate::interpret::classify::classify(&checkpoint.tensors, config.as_ref());
    let all: Vec<_> = checkpoint.tensors.iter().zip(&classified).collect();
    let active =
        crate::interpret::moe::active(&all, &inspect::moe_fields(checkpoint, config.as_ref()));
    active
        .active_parameters
        .ok_or_else(|| active.active_parameters_unknown.unwrap_or_default())
}

/// The logical parameter count `inspect` reports for the whole checkpoint (with its config.json, which decides
/// bit widths and tied embeddings).
fn logical_parameters(checkpoint: &Checkpoint) -> u64 {
    let config = crate::interpret::hf_config::for_checkpoint(checkpoint).and_then(Result::ok);
    crate::interpret::classify::classify(&checkpoint.tensors, config.as_ref())
        .iter()
        .map(|c| c.logical_elements)
        .sum()
}

/// A GGUF checkpoint's data alignment (`general.alignment`, else 32) and the bytes its files hold after the
/// padded end of their tensor data (the reader accepts them and notes them).
fn gguf_layout(c: &Checkpoint) -> (u64, u64) {
    let alignment = c
        .metadata
        .iter()
        .find(|(k, _)| k == "general.alignment")
        .and_then(|(_, v)| v.as_u64())
        .filter(|&a| a > 0)
        .unwrap_or(32);
    let trailing = c
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let end = c
                .tensors
                .iter()
                .filter(|t| t.file == i)
                .map(|t| t.data_offsets[1])
                .max()
                .unwrap_or(0);
            let padded = f.header_bytes + end.div_ceil(alignment) * alignment;
            f.size_bytes.saturating_sub(padded)
        })
        .sum();
    (alignment, trailing)
}

/// The globals no allow-list names, split into those `accepted` (by `--allow-global`) and those refused.
fn pickle_safety(checkpoint: &Checkpoint, accepted: &[String]) -> PickleSafety {
    let globals = checkpoint
        .pickle
        .as_ref()
        .map_or(&[][..], |p| &p.globals[..]);
    let (accepted, refused) = globals
        .iter()
        .filter(|g| g.verdict != Verdict::Allowed)
        .cloned()
        .partition(|g| accepted.contains(&g.qualified()));
    PickleSafety {
        globals: globals.len(),
        refused,
        accepted,
    }
}

fn structure(checkpoint: &Checkpoint) -> Structure {
    let format = match checkpoint.format {
        Format::Safetensors => FormatChecks::Safetensors,
        Format::Gguf => {
            let (alignment, trailing_bytes) = gguf_layout(checkpoint);
            FormatChecks::Gguf {
                alignment,
                trailing_bytes,
            }
        }
        Format::Pytorch => FormatChecks::Pytorch,
    };
    Structure {
        files: checkpoint.files.len(),
        tensors: checkpoint.tensors.len(),
        format,
        sharded: checkpoint.layout == Layout::Sharded,
        no_tensors: checkpoint.no_tensors(),
        // Shown to the gate too: a stray 16 GB file beside the shards is in no figure the rules measure.
        notes: checkpoint.notes.clone(),
    }
}

fn file_sizes(checkpoint: &Checkpoint, limit: &Limit) -> FileSizes {
    let size = |f: &crate::model::checkpoint::FileInfo| FileSize {
        path: f.path.clone(),
        bytes: f.size_bytes,
    };
    FileSizes {
        limit: limit.clone(),
        files: checkpoint.files.len(),
        largest: checkpoint
            .files
            .iter()
            .max_by_key(|f| f.size_bytes)
            .map(size),
        over: checkpoint
            .files
            .iter()
            .filter(|f| f.size_bytes > limit.value)
            .map(size)
            .collect(),
    }
}

/// `--dtype` (only these allowed) and `--forbid-dtype` (none of these), with the offending tensors listed.
fn dtypes(checkpoint: &Checkpoint, listed: &[DType], listing: DtypeListing) -> DtypeCheck {
    let allowed = listing == DtypeListing::Allowed;
    let offends = |d: DType| listed.contains(&d) != allowed;
    let present: Vec<DtypeCount> = inspect::totals(checkpoint.tensors.iter())
        .dtypes
        .iter()
        .map(|row| DtypeCount {
            dtype: row.dtype,
            tensors: row.tensors,
        })
        .collect();
    DtypeCheck {
        listing,
        listed: listed.to_vec(),
        offending: present
            .iter()
            .copied()
            .filter(|c| offends(c.dtype))
            .collect(),
        present,
        tensors: checkpoint
            .tensors
            .iter()
            .filter(|t| offends(t.dtype))
            .map(|t| (t.name.clone(), t.dtype))
            .collect(),
    }
}
