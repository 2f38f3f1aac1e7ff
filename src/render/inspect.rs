//! The `inspect` report as tables or Markdown.

use super::escape;
use super::group;
use super::text::{Doc, Fit, Style};
use crate::inspect::{DtypeRow, InspectReport, MultiReport, StorageSummary, WeightsMemory};
use crate::model::checkpoint::{Layout, PickleReport, Verdict};
use crate::model::units;

/// What a table view shows beyond the summary (the JSON report always has everything).
#[derive(Debug, Clone, Copy, Default)]
pub struct View {
    /// The classification rules that matched and a class/rule column in the tensor list (`--explain`).
    pub explain: bool,
    /// Every file in a table, however many (`--files`); otherwise a summary line above
    /// [`super::files::TABLE_MAX_FILES`].
    pub all_files: bool,
}

/// The report as tables or Markdown, with the default view.
pub fn render(report: &InspectReport, style: Style) -> String {
    render_view(report, style, View::default())
}

/// `explain` adds the classification rules that matched and a class/rule column in the tensor list.
pub fn render_explained(report: &InspectReport, style: Style, explain: bool) -> String {
    render_view(
        report,
        style,
        View {
            explain,
            ..View::default()
        },
    )
}

/// The report as tables or Markdown, showing what `view` asks for.
pub fn render_view(report: &InspectReport, style: Style, view: View) -> String {
    let mut doc = Doc::new(style);
    write_report(&mut doc, report, view);
    doc.finish()
}

/// Several reports and their total.
pub fn render_multi(multi: &MultiReport, style: Style) -> String {
    render_multi_view(multi, style, View::default())
}

/// Several reports and their total, showing what `view` asks for.
pub fn render_multi_view(multi: &MultiReport, style: Style, view: View) -> String {
    let mut doc = Doc::new(style);
    for report in &multi.checkpoints {
        write_report(
            &mut doc,
            report,
            View {
                explain: false,
                ..view
            },
        );
    }
    let t = &multi.total;
    doc.heading(&format!("Total over {} checkpoints", t.checkpoints));
    doc.pairs(vec![
        ("tensors".into(), units::grouped(t.totals.tensor_count)),
        ("parameters".into(), count_cell(t.totals.parameters)),
        (
            "logical parameters".into(),
            count_cell(t.logical_parameters),
        ),
        ("tensor data".into(), bytes_cell(t.totals.tensor_bytes)),
        ("on disk".into(), bytes_cell(t.file_bytes)),
    ]);
    let bits = multi.checkpoints.iter().any(|c| c.gguf.is_some());
    dtype_table(
        &mut doc,
        &t.totals.dtypes,
        t.totals.parameters,
        t.totals.tensor_bytes,
        bits,
    );
    doc.finish()
}

fn count_cell(n: u64) -> String {
    format!("{} ({})", units::count(n), units::grouped(n))
}

fn bytes_cell(n: u64) -> String {
    format!("{} ({} bytes)", units::bytes(n), units::grouped(n))
}

fn storages_cell(s: &StorageSummary) -> String {
    let mut cell = format!(
        "{} ({})",
        units::grouped(s.count as u64),
        units::bytes(s.bytes)
    );
    if s.shared > 0 {
        cell.push_str(&format!(
            ", {} shared by {} tensors (each tensor counted, each storage's bytes once)",
            units::grouped(s.shared as u64),
            units::grouped(s.tensors_sharing as u64)
        ));
    }
    cell
}

/// The pickle's verdict: one prominent line when any global is not allowed (the tensors are reported all the
/// same), a quiet row otherwise.
fn pickle_lines(doc: &mut Doc, pickle: &PickleReport) -> Option<(String, String)> {
    let listed = |verdict: Verdict| {
        let names: Vec<String> = pickle
            .globals
            .iter()
            .filter(|g| g.verdict == verdict)
            .map(|g| format!("{} ({}×)", g.qualified(), g.count))
            .collect();
        escape(&names.join(", ")).into_owned()
    };
    match pickle.verdict {
        Verdict::Allowed => Some((
            "pickle".into(),
            format!(
                "{}, all allowed (read without running it)",
                units::counted(pickle.globals.len() as u64, "global", "globals")
            ),
        )),
        Verdict::Dangerous => {
            doc.line(&format!(
                "DANGER: the pickle calls {}: torch.load would run this code; paramscope did not",
                listed(Verdict::Dangerous)
            ));
            let unknown = listed(Verdict::Unknown);
            if !unknown.is_empty() {
                doc.line(&format!(
                    "  it also names globals on no allow-list: {unknown}"
                ));
            }
            None
        }
        Verdict::Unknown => {
            doc.line(&format!(
                "WARNING: the pickle names globals on no allow-list: {}: torch.load(weights_only=True) refuses \
                 them, a full torch.load would import and call them; paramscope did not",
                listed(Verdict::Unknown)
            ));
            None
        }
    }
}

fn write_report(doc: &mut Doc, r: &InspectReport, view: View) {
    let explain = view.explain;
    let files = if r.shards == 1 {
        "1 file".to_string()
    } else {
        format!("{} files", r.shards)
    };
    doc.heading(&format!(
        "{}  ({}, {})",
        escape(&r.path.display().to_string()),
        r.format.name(),
        files
    ));
    let mut rows = Vec::new();
    if let Some(row) = r.pickle.as_ref().and_then(|p| pickle_lines(doc, p)) {
        rows.push(row);
    }
    if r.filtered {
        rows.push((
            "filtered by".into(),
            escape(&r.filters.join(", ")).into_owned(),
        ));
    }
    if let Some(storages) = &r.storages {
        rows.push(("storages".into(), storages_cell(storages)));
    }
    rows.push(("tensors".into(), units::grouped(r.totals.tensor_count)));
    rows.push(("parameters".into(), count_cell(r.totals.parameters)));
    // A 4-bit checkpoint's Hub count is a fraction of the model's: the count people gate on comes next to it.
    if r.semantics.logical_parameters != r.totals.parameters {
        rows.push(group::logical_row(r));
    }
    rows.push(("tensor data".into(), bytes_cell(r.totals.tensor_bytes)));
    rows.push((
        "on disk".into(),
        format!(
            "{} in {files}, headers {}",
            units::bytes(r.file_bytes),
            units::bytes(r.header_bytes)
        ),
    ));
    if let Some(index) = &r.index {
        if let Some(claimed) = index.total_parameters {
            let verdict = if claimed == r.totals.parameters || r.filtered {
                String::new()
            } else {
                format!(" (counted {})", units::grouped(r.totals.parameters))
            };
            rows.push((
                "index claims".into(),
                format!(
                    "{}{verdict}",
                    units::counted(claimed, "parameter", "parameters")
                ),
            ));
        }
    }
    rows.extend(group::semantics_rows(r));
    rows.push(("weights in memory".into(), memory_cell(&r.weights_memory)));
    doc.pairs(rows);
    if let Some(g) = &r.gguf {
        super::gguf::summary(doc, g, r.totals.parameters);
    }

    // `--group-by dtype` is this table with logical counts: one table titled "By dtype", not two.
    if r.groups.as_ref().is_none_or(|g| g.by != "dtype") {
        dtype_table(
            doc,
            &r.totals.dtypes,
            r.totals.parameters,
            r.totals.tensor_bytes,
            r.gguf.is_some(),
        );
    }

    if let Some(groups) = &r.groups {
        group::groups_table(doc, groups, r.semantics.logical_parameters);
    }
    if let Some(tree) = &r.tree {
        group::tree_table(doc, tree, r.semantics.logical_parameters);
    }
    if explain {
        group::rules_table(doc, r);
    }

    if !r.metadata.is_empty() {
        doc.heading("Metadata");
        let rows = r
            .metadata
            .iter()
            .map(|(k, v)| {
                let v = match &r.gguf {
                    Some(g) => super::gguf::value_cell(v, g.metadata_arrays == "full"),
                    None => v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                };
                (escape(k).into_owned(), escape(&v).into_owned())
            })
            .collect();
        doc.pairs(rows);
    }
    if let Some(index) = &r.index {
        if !index.metadata.is_empty() {
            doc.heading(&format!(
                "Index metadata ({})",
                escape(&index.path.display().to_string())
            ));
            let rows = index
                .metadata
                .iter()
                .map(|(k, v)| (escape(k).into_owned(), escape(&v.to_string()).into_owned()))
                .collect();
            doc.pairs(rows);
        }
    }
    let all_files = super::files::full_table(r.files.len(), view.all_files);
    if r.shards > 1 && !all_files {
        let sizes: Vec<(u64, u64)> = r
            .files
            .iter()
            .map(|f| (f.size_bytes, f.header_bytes))
            .collect();
        super::files::summary_line(doc, &sizes);
    }
    if r.shards > 1 && all_files {
        doc.heading("Files");
        let rows = r
            .files
            .iter()
            .map(|f| {
                vec![
                    escape(&in_folder(r, &f.path).display().to_string()).into_owned(),
                    units::grouped(f.tensors as u64),
                    units::bytes(f.size_bytes),
                    units::bytes(f.header_bytes),
                ]
            })
            .collect();
        // On a narrow terminal: paths shortened first, then the header size, then the tensor count left out. The
        // words footprint's Files table uses for the same columns.
        doc.table_fit(
            &["file", "tensors", "on disk", "header"],
            rows,
            &[1, 2, 3],
            Fit {
                paths: &[0],
                drop: Some(&[3, 1]),
                ..Fit::default()
            },
        );
    }
    if let Some(tensors) = &r.tensors {
        let title = match r.tensors_listed_of {
            Some(of) => format!(
                "Tensors (first {} of {})",
                tensors.len(),
                units::grouped(of as u64)
            ),
            None => "Tensors".to_string(),
        };
        doc.heading(&title);
        let multi_file = r.shards > 1;
        let rows = tensors
            .iter()
            .map(|t| {
                let mut row = vec![
                    escape(&t.name).into_owned(),
                    t.dtype.to_string(),
                    format!("{:?}", t.shape),
                    units::grouped(t.parameters),
                    units::bytes(t.bytes),
                ];
                if multi_file {
                    row.push(escape(&in_folder(r, &t.file).display().to_string()).into_owned());
                }
                row.push(format!("{}..{}", t.data_offsets[0], t.data_offsets[1]));
                if explain {
                    row.push(t.rule.id.to_string());
                    row.push(t.role_rule.to_string());
                }
                row
            })
            .collect();
        let mut header = vec!["name", "dtype", "shape", "parameters", "bytes"];
        if multi_file {
            header.push("file");
        }
        header.push("data offsets");
        if explain {
            header.push("class rule");
            header.push("role rule");
        }
        // On a narrow terminal the least useful go first: offsets, the rules, the file (its path shortened
        // before that), dtype (the By dtype table has it), bytes, shape, parameters; the name stays.
        let at = |h: &str| header.iter().position(|x| *x == h).unwrap_or(usize::MAX);
        let drop: Vec<usize> = [
            "data offsets",
            "role rule",
            "class rule",
            "file",
            "dtype",
            "bytes",
            "shape",
            "parameters",
        ]
        .iter()
        .map(|h| at(h))
        .filter(|&c| c != usize::MAX)
        .collect();
        let paths: Vec<usize> = [at("file")]
            .into_iter()
            .filter(|&c| c != usize::MAX)
            .collect();
        doc.table_fit(
            &header,
            rows,
            &[3, 4],
            Fit {
                paths: &paths,
                drop: Some(&drop),
                ..Fit::default()
            },
        );
    }
    for note in &r.notes {
        doc.line(&format!("note: {}", escape(note)));
    }
}

/// A file of the checkpoint relative to the checkpoint's folder (`model-00001-of-00004.safetensors`): the heading
/// names the folder once, and a Hugging Face cache path would otherwise take several lines per row on a terminal.
fn in_folder<'a>(r: &InspectReport, file: &'a std::path::Path) -> &'a std::path::Path {
    let folder = match r.layout {
        Layout::Directory => Some(r.path.as_path()),
        _ => r.path.parent(),
    };
    folder
        .and_then(|base| file.strip_prefix(base).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(file)
}

/// `bits`: add a bits-per-weight column (for GGUF, where quantised types make it the interesting figure).
fn dtype_table(doc: &mut Doc, rows: &[DtypeRow], parameters: u64, bytes: u64, bits: bool) {
    if rows.is_empty() {
        return;
    }
    doc.heading("By dtype");
    let body = rows
        .iter()
        .map(|d| {
            let mut row = vec![
                d.dtype.to_string(),
                units::grouped(d.tensors),
                units::count(d.parameters),
                units::percent(d.parameters, parameters),
                units::bytes(d.bytes),
                units::percent(d.bytes, bytes),
            ];
            if bits {
                row.push(format!("{}", d.bits_per_weight));
            }
            row
        })
        .collect();
    let mut header = vec![
        "dtype",
        "tensors",
        "parameters",
        "% params",
        "bytes",
        "% bytes",
    ];
    if bits {
        header.push("bits/weight");
    }
    doc.table(&header, body, &[1, 2, 3, 4, 5, 6]);
}

/// One line of `footprint`'s precision table: as stored, 16-bit, INT8 and INT4 (F8 is INT8's size less scales).
fn memory_cell(m: &WeightsMemory) -> String {
    let mut parts = vec![format!("as stored {}", units::bytes(m.stored_bytes))];
    parts.extend(
        m.precisions
            .iter()
            .filter(|p| matches!(p.name, "F16/BF16" | "INT8" | "INT4"))
            .map(|p| format!("{} {}", p.name, units::bytes(p.bytes))),
    );
    parts.join(" · ")
}
