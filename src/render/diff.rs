//! The `diff` report as tables or Markdown.

use super::escape;
use super::text::{Doc, Style};
use crate::diff::{DiffReport, TensorSummary};
use crate::model::units;

fn signed_count(delta: i128) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", units::grouped(delta.unsigned_abs() as u64))
}

fn signed_bytes(delta: i128) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", units::bytes(delta.unsigned_abs() as u64))
}

/// The diff report as text in `style`, listing at most `limit` tensors per section (the rest counted).
pub fn render(r: &DiffReport, style: Style, limit: usize) -> String {
    let mut doc = Doc::new(style);
    doc.heading(&format!(
        "{}  →  {}",
        escape(&r.a.path.display().to_string()),
        escape(&r.b.path.display().to_string())
    ));
    let mut totals = vec![
        vec![
            "tensors".into(),
            units::grouped(r.a.tensor_count as u64),
            units::grouped(r.b.tensor_count as u64),
            signed_count(r.b.tensor_count as i128 - r.a.tensor_count as i128),
        ],
        vec![
            "parameters".into(),
            units::grouped(r.a.parameters),
            units::grouped(r.b.parameters),
            signed_count(r.parameters_delta),
        ],
    ];
    // Only when it says something: a quantized side packs weights, or buffers/aux/tied heads are not parameters.
    if r.a.logical_parameters != r.a.parameters || r.b.logical_parameters != r.b.parameters {
        totals.push(vec![
            "logical parameters".into(),
            units::grouped(r.a.logical_parameters),
            units::grouped(r.b.logical_parameters),
            signed_count(r.logical_parameters_delta),
        ]);
    }
    totals.push(vec![
        "tensor data".into(),
        units::bytes(r.a.tensor_bytes),
        units::bytes(r.b.tensor_bytes),
        signed_bytes(r.tensor_bytes_delta),
    ]);
    doc.table(&["", "A", "B", "change"], totals, &[1, 2, 3]);
    let differs: Vec<_> = r
        .dtypes
        .iter()
        .filter(|d| d.a_parameters != d.b_parameters || d.a_tensors != d.b_tensors)
        .collect();
    if !differs.is_empty() {
        doc.heading("By dtype");
        let rows = differs
            .iter()
            .map(|d| {
                vec![
                    d.dtype.to_string(),
                    units::grouped(d.a_tensors),
                    units::grouped(d.b_tensors),
                    units::count(d.a_parameters),
                    units::count(d.b_parameters),
                    units::bytes(d.a_bytes),
                    units::bytes(d.b_bytes),
                ]
            })
            .collect();
        doc.table(
            &[
                "dtype",
                "tensors A",
                "tensors B",
                "params A",
                "params B",
                "bytes A",
                "bytes B",
            ],
            rows,
            &[1, 2, 3, 4, 5, 6],
        );
    }
    if let Some(groups) = &r.groups {
        doc.heading("By group");
        let rows = groups
            .iter()
            .map(|g| {
                vec![
                    match (&g.b_name, &g.blocks) {
                        (Some(b), Some(blocks)) => {
                            escape(&format!("{} / {b} ({blocks})", g.name)).into_owned()
                        }
                        _ => escape(&g.name).into_owned(),
                    },
                    units::grouped(g.a_parameters),
                    units::grouped(g.b_parameters),
                    signed_count(g.b_parameters as i128 - g.a_parameters as i128),
                    signed_count(g.b_logical_parameters as i128 - g.a_logical_parameters as i128),
                    signed_bytes(g.b_bytes as i128 - g.a_bytes as i128),
                ]
            })
            .collect();
        doc.table(
            &[
                "group",
                "params A",
                "params B",
                "change",
                "logical change",
                "bytes change",
            ],
            rows,
            &[1, 2, 3, 4, 5],
        );
    }
    for p in &r.prefix_changes {
        let what = match (p.from.is_empty(), p.to.is_empty()) {
            (false, true) => format!("prefix '{}' removed", escape(&p.from)),
            (true, false) => format!("prefix '{}' added", escape(&p.to)),
            _ => format!(
                "prefix '{}' renamed to '{}'",
                escape(&p.from),
                escape(&p.to)
            ),
        };
        doc.line(&format!(
            "\n{what} on {} tensors (compared as pairs)",
            units::grouped(p.tensors as u64)
        ));
    }
    if let Some(m) = &r.name_mapping {
        doc.line(&format!(
            "\nGGUF names on side {} mapped to Hugging Face Llama names: {} tensors",
            m.gguf_side.to_uppercase(),
            units::grouped(m.mapped as u64)
        ));
        if !m.rope_permuted.is_empty() {
            doc.line(&format!(
                "llama.cpp permuted the rows of {} q/k projections for its rotary embedding; --values compares \
                 them through the inverse permutation",
                m.rope_permuted.len()
            ));
        }
        if !m.rope_not_undone.is_empty() {
            doc.line(&format!(
                "llama.cpp permuted the rows of {} q/k projections for its rotary embedding, and the permutation \
                 cannot be undone here (head counts missing from the metadata, or shapes that differ); their \
                 values are compared as stored and will differ: {}",
                m.rope_not_undone.len(),
                m.rope_not_undone.iter().map(|n| escape(n)).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    tensor_section(&mut doc, "Only in A", &r.only_in_a, limit);
    tensor_section(&mut doc, "Only in B", &r.only_in_b, limit);
    if !r.changed.is_empty() {
        doc.heading(&format!("Changed dtype or shape ({})", r.changed.len()));
        let rows = r
            .changed
            .iter()
            .take(limit)
            .map(|c| {
                vec![
                    escape(&c.name).into_owned(),
                    format!("{} {:?}", c.a.dtype, c.a.shape),
                    format!("{} {:?}", c.b.dtype, c.b.shape),
                ]
            })
            .collect();
        doc.table(&["name", "A", "B"], rows, &[]);
        more(&mut doc, r.changed.len(), limit);
    }
    if let Some(renames) = &r.renames {
        if !renames.is_empty() {
            doc.heading(&format!(
                "Renamed (same dtype, shape and bytes) ({})",
                renames.len()
            ));
            let rows = renames
                .iter()
                .take(limit)
                .map(|x| vec![escape(&x.from).into_owned(), escape(&x.to).into_owned()])
                .collect();
            doc.table(&["in A", "in B"], rows, &[]);
            more(&mut doc, renames.len(), limit);
        }
    }
    if let Some(v) = &r.values {
        values_section(&mut doc, v, limit);
    }
    doc.line("");
    if let Some(i) = &r.identical {
        match &i.first_difference {
            None if i.identical => doc.line("identical: every tensor is bit-for-bit equal"),
            None => doc.line("not identical: the structure differs"),
            Some(d) => doc.line(&format!(
                "not identical: first difference in '{}': {}",
                escape(&d.name),
                d.reason
            )),
        }
    }
    if r.values.is_some() && !r.structure_identical && !r.differs() {
        doc.line(&format!(
            "equivalent: {} dtype changes, every value equal within the tolerance",
            r.changed.len()
        ));
    } else if r.structure_identical {
        doc.line(&format!(
            "same structure: {} tensors with equal names, dtypes and shapes",
            units::grouped(r.matching as u64)
        ));
    } else {
        // Renames and prefix changes are differences too: without them the line could read "different: 0 only
        // in A, 0 only in B, 0 changed".
        let renamed = match &r.renames {
            Some(x) if !x.is_empty() => format!(", {} renamed", units::grouped(x.len() as u64)),
            _ => String::new(),
        };
        let prefixed: usize = r.prefix_changes.iter().map(|p| p.tensors).sum();
        let prefixed = match prefixed {
            0 => String::new(),
            n => format!(
                " ({} of them under a changed prefix)",
                units::grouped(n as u64)
            ),
        };
        doc.line(&format!(
            "different: {} only in A, {} only in B, {} changed{renamed}, {} matching{prefixed}",
            r.only_in_a.len(),
            r.only_in_b.len(),
            r.changed.len(),
            r.matching
        ));
    }
    doc.finish()
}

fn tensor_section(doc: &mut Doc, title: &str, tensors: &[TensorSummary], limit: usize) {
    if tensors.is_empty() {
        return;
    }
    doc.heading(&format!("{title} ({})", tensors.len()));
    let rows = tensors
        .iter()
        .take(limit)
        .map(|t| {
            vec![
                escape(&t.name).into_owned(),
                t.dtype.to_string(),
                format!("{:?}", t.shape),
                units::grouped(t.parameters),
            ]
        })
        .collect();
    doc.table(&["name", "dtype", "shape", "parameters"], rows, &[3]);
    more(doc, tensors.len(), limit);
}

fn more(doc: &mut Doc, total: usize, limit: usize) {
    if total > limit {
        doc.line(&format!(
            "… and {} more (--limit, or --format json for all)",
            total - limit
        ));
    }
}

/// Six decimals would show a fine-tune's 0.99999998 as 1.000000, as an unchanged tensor's 1: a cosine that
/// close to 1 is shown by its distance from 1.
fn cosine_cell(c: f64) -> String {
    if (0.9999995..1.0).contains(&c) {
        format!("1 − {:.1e}", 1.0 - c)
    } else {
        format!("{c:.6}")
    }
}

fn values_section(doc: &mut Doc, v: &crate::diff::values::ValuesReport, limit: usize) {
    doc.heading(&format!(
        "Values: {} tensors, {} elements compared (atol {}, rtol {})",
        v.compared_tensors,
        units::grouped(v.compared_elements),
        v.atol,
        v.rtol
    ));
    // Most different first, so the interesting rows survive --limit.
    let mut order: Vec<_> = v.tensors.iter().collect();
    order.sort_by(|x, y| {
        y.max_abs_diff
            .total_cmp(&x.max_abs_diff)
            .then(x.name.cmp(&y.name))
    });
    let rows = order
        .iter()
        .take(limit)
        .map(|t| {
            vec![
                escape(&t.name).into_owned(),
                format!("{:.4e}", t.max_abs_diff),
                format!("{:.4e}", t.mean_abs_diff),
                format!("{:.4e}", t.rel_l2),
                cosine_cell(t.cosine),
                units::grouped(t.differing_elements),
            ]
        })
        .collect();
    doc.table(
        &[
            "name",
            "max |a−b|",
            "mean |a−b|",
            "rel L2",
            "cosine",
            "outside tol",
        ],
        rows,
        &[1, 2, 3, 4, 5],
    );
    more(doc, v.tensors.len(), limit);
    for s in &v.skipped {
        doc.line(&format!("not compared: {}: {}", escape(&s.name), s.reason));
    }
    doc.line(&format!(
        "{} of {} tensors differ beyond the tolerance; largest |a−b| {:.4e}",
        v.differing_tensors, v.compared_tensors, v.max_abs_diff
    ));
}
