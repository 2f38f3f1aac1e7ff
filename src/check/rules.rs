//! The rules and how each one is evaluated against a loaded checkpoint.

use super::baseline::GrowthRule;
use super::expect::Expected;
use super::limit::Limit;
use super::values::ValueRule;
use super::{capped, Figure, RuleResult, Status};
use crate::inspect;
use crate::model::checkpoint::{Checkpoint, Format, Layout, PickleGlobal, Verdict};
use crate::model::dtype::DType;
use crate::model::units;

#[derive(Debug, Clone)]
pub enum Rule {
    /// The checkpoint loaded: headers in bounds, offsets tiling the data, no trailing bytes, index consistent.
    /// Always evaluated first; a checkpoint that fails it never reaches the other rules.
    Structure,
    MaxParams(Limit),
    MinParams(Limit),
    /// Tensor data bytes (the sum over tensors, headers excluded), as `inspect` reports `tensor_bytes`.
    MaxBytes(Limit),
    /// The size on disk of every file (shard), headers included.
    MaxFileBytes(Limit),
    /// Dtypes allowed; any other fails.
    AllowedDtypes(Vec<DType>),
    ForbiddenDtypes(Vec<DType>),
    ExpectTensors(Box<Expected>),
    Growth(GrowthRule),
    /// Needs the tensors' values: evaluated by [`super::check`] on one scan shared by every value rule.
    Values(ValueRule),
    /// Every global a PyTorch pickle names is allowed, or accepted by name (`--allow-global MODULE.NAME`).
    /// Evaluated for checkpoints with a pickle only.
    PickleSafety(Vec<String>),
}

impl Rule {
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Structure => "structure",
            Rule::MaxParams(_) => "max-params",
            Rule::MinParams(_) => "min-params",
            Rule::MaxBytes(_) => "max-bytes",
            Rule::MaxFileBytes(_) => "max-file-bytes",
            Rule::AllowedDtypes(_) => "dtype",
            Rule::ForbiddenDtypes(_) => "forbid-dtype",
            Rule::ExpectTensors(_) => "expect-tensors",
            Rule::Growth(g) => g.name(),
            Rule::Values(v) => v.name(),
            Rule::PickleSafety(_) => "pickle-safety",
        }
    }

    /// Evaluates a header rule; `None` for a value rule, which needs a scan.
    pub fn evaluate(&self, checkpoint: &Checkpoint) -> Option<RuleResult> {
        let name = self.name();
        Some(match self {
            Rule::Structure => structure(checkpoint),
            Rule::MaxParams(limit) => {
                let p = checkpoint.parameters();
                at_most(name, p, limit, count_shown(p))
            }
            Rule::MinParams(limit) => {
                let p = checkpoint.parameters();
                let pass = p >= limit.value;
                let op = if pass { ">=" } else { "<" };
                result(
                    name,
                    pass,
                    p,
                    limit,
                    format!("{} {op} {}", count_shown(p), limit.shown()),
                )
            }
            Rule::MaxBytes(limit) => {
                let b = checkpoint.tensor_bytes();
                at_most(name, b, limit, bytes_shown(b, limit.binary()))
            }
            Rule::MaxFileBytes(limit) => max_file_bytes(checkpoint, limit),
            Rule::AllowedDtypes(allowed) => dtypes(checkpoint, allowed, true),
            Rule::ForbiddenDtypes(forbidden) => dtypes(checkpoint, forbidden, false),
            Rule::ExpectTensors(expected) => expected.evaluate(checkpoint),
            Rule::Growth(g) => g.evaluate(checkpoint),
            Rule::PickleSafety(accepted) => pickle_safety(checkpoint, accepted),
            Rule::Values(_) => return None,
        })
    }
}

/// `8.03B (8,030,261,248)`.
pub(crate) fn count_shown(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{} ({})", units::count(n), units::grouped(n))
    }
}

/// `14.96 GiB (16,060,522,496 bytes)`, in binary units when the limit was written in them.
pub(crate) fn bytes_shown(n: u64, binary: bool) -> String {
    let human = if binary {
        units::bytes(n)
    } else {
        units::bytes_decimal(n)
    };
    if n < 1000 {
        format!("{n} bytes")
    } else {
        format!("{human} ({} bytes)", units::grouped(n))
    }
}

fn at_most(name: &'static str, measured: u64, limit: &Limit, shown: String) -> RuleResult {
    let pass = measured <= limit.value;
    let op = if pass { "<=" } else { ">" };
    result(
        name,
        pass,
        measured,
        limit,
        format!("{shown} {op} {}", limit.shown()),
    )
}

fn result(
    name: &'static str,
    pass: bool,
    measured: u64,
    limit: &Limit,
    message: String,
) -> RuleResult {
    RuleResult {
        rule: name,
        status: if pass { Status::Pass } else { Status::Fail },
        measured: Figure::Number(measured),
        limit: Some(Figure::Number(limit.value)),
        baseline: None,
        message,
        details: Vec::new(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    units::counted(n as u64, one, many)
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

fn pickle_safety(checkpoint: &Checkpoint, accepted: &[String]) -> RuleResult {
    let globals = checkpoint
        .pickle
        .as_ref()
        .map_or(&[][..], |p| &p.globals[..]);
    let refused: Vec<&PickleGlobal> = globals
        .iter()
        .filter(|g| g.verdict != Verdict::Allowed && !accepted.contains(&g.qualified()))
        .collect();
    let message = if refused.is_empty() {
        format!(
            "{} named, none dangerous or unknown{}",
            plural(globals.len(), "pickle global", "pickle globals"),
            if accepted.is_empty() {
                ""
            } else {
                " (or accepted by --allow-global)"
            }
        )
    } else {
        let dangerous = refused
            .iter()
            .filter(|g| g.verdict == Verdict::Dangerous)
            .count();
        format!(
            "{dangerous} dangerous and {} unknown pickle globals (torch.load would import and call them; nothing was run)",
            refused.len() - dangerous
        )
    };
    RuleResult {
        rule: "pickle-safety",
        status: if refused.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        measured: Figure::Number(refused.len() as u64),
        limit: Some(Figure::Number(0)),
        baseline: None,
        message,
        details: capped(
            refused
                .iter()
                .map(|g| format!("{} ({}, {}×)", g.qualified(), g.verdict.name(), g.count)),
        ),
    }
}

fn structure(checkpoint: &Checkpoint) -> RuleResult {
    let files = checkpoint.files.len();
    let read = format!(
        "{}, {} read",
        plural(files, "file", "files"),
        plural(checkpoint.tensors.len(), "tensor", "tensors"),
    );
    let mut message = match checkpoint.format {
        Format::Safetensors => {
            format!("{read}: headers in bounds, tensors tile the data exactly, no trailing bytes")
        }
        Format::Gguf => {
            let (alignment, trailing) = gguf_layout(checkpoint);
            let after = match trailing {
                0 => "nothing after the tensor data".to_string(),
                n => format!(
                    "{} after the tensor data (a note: llama.cpp ignores them)",
                    plural(n as usize, "byte", "bytes")
                ),
            };
            format!("{read}: headers in bounds, tensors in order on the {alignment}-byte alignment, {after}")
        }
        Format::Pytorch => format!(
            "{read}: pickles read without running them, every tensor inside its storage, every storage in the file"
        ),
    };
    if checkpoint.layout == Layout::Sharded {
        message.push_str(", index consistent with its shards");
    }
    // Well-formed but empty: every other rule would measure zeros and pass.
    let status = match checkpoint.no_tensors() {
        Some(why) => {
            message = format!("{why}; {message}");
            Status::Fail
        }
        None => Status::Pass,
    };
    RuleResult {
        rule: "structure",
        status,
        measured: Figure::Number(files as u64),
        limit: None,
        baseline: None,
        message,
        // What the reader noted without failing (a weight file the index does not name, a shard read alone)
        // is shown to the gate too: a stray 16 GB file beside the shards is in no figure the rules measure.
        details: checkpoint
            .notes
            .iter()
            .map(|n| format!("note: {}", crate::render::escape(n)))
            .collect(),
    }
}

fn max_file_bytes(checkpoint: &Checkpoint, limit: &Limit) -> RuleResult {
    let largest = checkpoint.files.iter().max_by_key(|f| f.size_bytes);
    let size = largest.map_or(0, |f| f.size_bytes);
    let over: Vec<_> = checkpoint
        .files
        .iter()
        .filter(|f| f.size_bytes > limit.value)
        .collect();
    let largest_name = largest
        .map(|f| crate::render::escape(&f.path.display().to_string()).into_owned())
        .unwrap_or_default();
    let message = if over.is_empty() {
        format!(
            "largest file {} <= {}: {largest_name}",
            bytes_shown(size, limit.binary()),
            limit.shown()
        )
    } else {
        format!(
            "{} of {} over {}; largest {}: {largest_name}",
            over.len(),
            plural(checkpoint.files.len(), "file", "files"),
            limit.shown(),
            bytes_shown(size, limit.binary()),
        )
    };
    let mut r = result("max-file-bytes", over.is_empty(), size, limit, message);
    r.details = capped(over.iter().map(|f| {
        format!(
            "{}: {}",
            crate::render::escape(&f.path.display().to_string()),
            bytes_shown(f.size_bytes, limit.binary())
        )
    }));
    r
}

/// `--dtype` (only these allowed) and `--forbid-dtype` (none of these), with the offending tensors listed.
fn dtypes(checkpoint: &Checkpoint, listed: &[DType], allowed: bool) -> RuleResult {
    let present = inspect::totals(checkpoint.tensors.iter()).dtypes;
    let offends = |d: DType| listed.contains(&d) != allowed;
    let bad: Vec<_> = present.iter().filter(|row| offends(row.dtype)).collect();
    let names = |ds: &[DType]| ds.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ");
    let rows = |rows: &[&inspect::DtypeRow]| {
        rows.iter()
            .map(|r| {
                format!(
                    "{} ({})",
                    r.dtype,
                    plural(r.tensors as usize, "tensor", "tensors")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<_> = present.iter().collect();
    let message = match (bad.is_empty(), allowed) {
        (true, true) => format!("{} all allowed ({})", rows(&all), names(listed)),
        (true, false) => format!("none of {} present", names(listed)),
        (false, true) => format!("{} not allowed; allowed: {}", rows(&bad), names(listed)),
        (false, false) => format!("{} present; forbidden: {}", rows(&bad), names(listed)),
    };
    RuleResult {
        rule: if allowed { "dtype" } else { "forbid-dtype" },
        status: if bad.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        measured: Figure::Dtypes(present.iter().map(|r| r.dtype).collect()),
        limit: Some(Figure::Dtypes(listed.to_vec())),
        baseline: None,
        message,
        details: capped(
            checkpoint
                .tensors
                .iter()
                .filter(|t| offends(t.dtype))
                .map(|t| format!("{}: {}", crate::render::escape(&t.name), t.dtype)),
        ),
    }
}
