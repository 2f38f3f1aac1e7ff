//! `--brief`: one line per checkpoint, like the header of a model page on the Hub:
//! `Llama-3-8B  8.03B params · BF16 · 14.96 GiB · 4 files`.

use super::escape;
use crate::check::{CheckReport, Verdict};
use crate::inspect::InspectReport;
use crate::model::units;
use std::path::Path;

/// The checkpoint's one line: its name, the Hub count (and the logical count when it differs), the dtypes by
/// bytes, the size on disk and the number of files.
pub fn line(r: &InspectReport) -> String {
    let mut params = format!("{} params", units::count(r.totals.parameters));
    if r.semantics.logical_parameters != r.totals.parameters {
        params.push_str(&format!(
            " ({} logical)",
            units::count(r.semantics.logical_parameters)
        ));
    }
    let dtypes: Vec<String> = r
        .totals
        .dtypes
        .iter()
        .map(|d| d.dtype.to_string())
        .collect();
    let mut parts = vec![params];
    if !dtypes.is_empty() {
        parts.push(dtypes.join("/"));
    }
    parts.push(units::bytes(r.file_bytes));
    parts.push(units::counted(r.shards as u64, "file", "files"));
    format!("{}  {}", escape(&name(&r.path)), parts.join(" · "))
}

/// `check --brief`: a checkpoint's verdict on one line, named as `inspect --brief` names it: `NAME  PASS`,
/// `NAME  FAIL  max-params, forbid-dtype` (the rules that failed), `NAME  ERROR  code: reason` (the first problem,
/// and how many more). A recursive check over a tree of models is then one line per checkpoint.
pub fn check_line(r: &CheckReport) -> String {
    let verdict = match r.status {
        Verdict::Pass => "PASS".to_string(),
        Verdict::Fail => {
            let failed: Vec<&str> = r.failed_rules().map(|f| f.rule).collect();
            format!("FAIL  {}", failed.join(", "))
        }
        Verdict::Error => match r.errors.first() {
            Some(e) => {
                let more = match r.errors.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                format!("ERROR  {}: {}{more}", e.code, e.message)
            }
            None => "ERROR".to_string(),
        },
    };
    escape(&format!("{}  {verdict}", name(&r.path))).into_owned()
}

/// The name people know a checkpoint by: its folder's for a folder, an index or a file with a generic name
/// (`model.safetensors`, `model-00001-of-00004.safetensors`, `pytorch_model.bin`), else the file's.
pub fn name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let generic = path.is_dir()
        || file.ends_with(".index.json")
        || file.starts_with("model.")
        || file.starts_with("model-")
        || file.starts_with("pytorch_model");
    if path.is_dir() {
        return file;
    }
    match path.parent().and_then(Path::file_name) {
        Some(folder) if generic => folder.to_string_lossy().into_owned(),
        _ => file,
    }
}
