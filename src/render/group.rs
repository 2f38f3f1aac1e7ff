//! Views of the grouping and classification parts of the inspect report: group rows with proportional bars, the
//! semantics rows of the summary, and the rule table of `--explain`.

use super::escape;
use super::text::Doc;
use crate::aggregate::group::GroupRow;
use crate::aggregate::tree::TreeNode;
use crate::inspect::{Groups, InspectReport};
use crate::interpret::classify::Class;
use crate::interpret::moe::{self, ActiveParameters};
use crate::model::units;

/// Width of a full bar, in terminal cells.
const BAR_CELLS: u64 = 20;

/// A bar of `part / whole` of `BAR_CELLS` (20) cells, in eighths of a cell (`█▉▊▋▌▍▎▏`).
pub fn bar(part: u64, whole: u64) -> String {
    if whole == 0 {
        return String::new();
    }
    let eighths = (part as u128 * BAR_CELLS as u128 * 8 + whole as u128 / 2) / whole as u128;
    let eighths = eighths.min(BAR_CELLS as u128 * 8) as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTIAL: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTIAL[eighths % 8]);
    s
}

/// The `logical parameters` row: the count with the packed weights counted as the weights they stand for.
pub fn logical_row(r: &InspectReport) -> (String, String) {
    let n = r.semantics.logical_parameters;
    (
        "logical parameters".into(),
        format!("{} ({})", units::count(n), units::grouped(n)),
    )
}

/// Summary rows for the honest counts; zero classes are left out of the table (JSON has them all).
pub fn semantics_rows(r: &InspectReport) -> Vec<(String, String)> {
    let s = &r.semantics;
    let mut rows = Vec::new();
    if let Some(model) = &r.model {
        let mut what = model.model_type.clone().unwrap_or_else(|| "?".into());
        if !model.architectures.is_empty() {
            what.push_str(&format!(" ({})", model.architectures.join(", ")));
        }
        if let Some(q) = &model.quantization {
            let method = q.quant_method.as_deref().unwrap_or("quantized");
            match q.bits {
                Some(bits) => what.push_str(&format!(", {method} {bits}-bit")),
                None => what.push_str(&format!(", {method}")),
            }
            if let Some(g) = q.group_size {
                what.push_str(&format!(" group {g}"));
            }
        }
        rows.push(("model".into(), escape(&what).into_owned()));
    }
    // When it differs from the Hub count, the report's first lines show it beside that count instead.
    if s.logical_parameters == r.totals.parameters {
        rows.push(logical_row(r));
    }
    rows.push((
        "embedding / non-embedding".into(),
        format!(
            "{} / {}",
            units::count(s.embedding_parameters),
            units::count(s.non_embedding_parameters)
        ),
    ));
    rows.extend(active_rows(&r.active));
    for (class, label) in [
        (Class::Buffer, "buffers"),
        (Class::QuantAux, "quant aux"),
        (Class::QuantPacked, "quant packed"),
    ] {
        let c = s.classes.get(class);
        if c.tensors > 0 {
            rows.push((
                label.into(),
                format!(
                    "{}, {}, {}",
                    units::counted(c.tensors, "tensor", "tensors"),
                    units::counted(c.elements, "element", "elements"),
                    units::bytes(c.bytes)
                ),
            ));
        }
    }
    rows
}

/// `active parameters` (MoE checkpoints, or why unknown) and `multi-token prediction` rows; nothing for a dense
/// model without MTP layers, whose active parameters are its logical parameters.
fn active_rows(a: &ActiveParameters) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    match (&a.moe, a.active_parameters, &a.active_parameters_unknown) {
        (Some(m), Some(active), _) => {
            let shared = match m.shared_experts {
                Some(n) if n > 0 => format!(" + {n} shared"),
                _ => String::new(),
            };
            rows.push((
                "active parameters".into(),
                format!(
                    "{} ({}) per token of {}: {} of {} routed experts{shared} in {} of {} layers",
                    units::count(active),
                    units::grouped(active),
                    units::count(m.total_parameters),
                    m.experts_used,
                    m.experts,
                    m.moe_layers,
                    m.layers
                ),
            ));
            for note in &m.notes {
                rows.push(("  note".into(), escape(note).into_owned()));
            }
        }
        (_, None, Some(why)) => rows.push((
            "active parameters".into(),
            format!("unknown: {}", escape(why)),
        )),
        _ => {}
    }
    if let Some(mtp) = &a.mtp {
        let which = if mtp.layers.len() == 1 {
            "layer"
        } else {
            "layers"
        };
        let active = match mtp.active_parameters {
            Some(n) if n != mtp.parameters => format!(", {} active", units::count(n)),
            _ => String::new(),
        };
        rows.push((
            "multi-token prediction".into(),
            format!(
                "{which} {}: {} ({}){active}, apart from the main model ({})",
                moe::ranges(&mtp.layers),
                units::count(mtp.parameters),
                units::grouped(mtp.parameters),
                escape(&mtp.field)
            ),
        ));
    }
    rows
}

/// Adds the `--group-by` table to `doc`; shares are of `logical_total`.
pub fn groups_table(doc: &mut Doc, groups: &Groups, logical_total: u64) {
    doc.heading(&format!("By {}", groups.by));
    // Only `layer` merges instances; elsewhere the × and per-instance columns would always say 1 and the total.
    let repeats = groups
        .rows
        .iter()
        .any(|r| r.count > 1 || !r.children.is_empty());
    let mut body = Vec::new();
    for row in &groups.rows {
        push_row(&mut body, row, 0, logical_total);
    }
    if !repeats {
        for row in &mut body {
            row.drain(1..3);
        }
    }
    let header: &[&str] = if repeats {
        &[
            "group",
            "×",
            "each",
            "parameters",
            "logical",
            "bytes",
            "% logical",
            "",
        ]
    } else {
        &["group", "parameters", "logical", "bytes", "% logical", ""]
    };
    let right: Vec<usize> = (1..header.len() - 1).collect();
    doc.table(header, body, &right);
}

fn push_row(body: &mut Vec<Vec<String>>, row: &GroupRow, level: usize, whole: u64) {
    let name = if level == 0 {
        escape(&row.name).into_owned()
    } else {
        format!("{}└ {}", "  ".repeat(level - 1), escape(&row.name))
    };
    let times = if level > 0 {
        format!("{} per block", row.count)
    } else {
        row.count.to_string()
    };
    body.push(vec![
        name,
        times,
        units::count(row.parameters_each),
        units::count(row.parameters),
        units::count(row.logical_parameters),
        units::bytes(row.bytes),
        units::percent(row.logical_parameters, whole),
        bar(row.logical_parameters, whole),
    ]);
    for child in &row.children {
        push_row(body, child, level + 1, whole);
    }
}

/// Adds the `--tree` table to `doc`; shares are of `logical_total`.
pub fn tree_table(doc: &mut Doc, nodes: &[TreeNode], logical_total: u64) {
    doc.heading("Tree");
    let mut body = Vec::new();
    push_nodes(&mut body, nodes, None, logical_total);
    doc.table(
        &[
            "name",
            "×",
            "parameters",
            "logical",
            "bytes",
            "% logical",
            "",
        ],
        body,
        &[1, 2, 3, 4, 5],
    );
}

fn push_nodes(body: &mut Vec<Vec<String>>, nodes: &[TreeNode], indent: Option<&str>, whole: u64) {
    for (i, node) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        // Top-level nodes carry no branch; below them, `├─`/`└─` and `│` draw the hierarchy.
        let (line, below) = match indent {
            None => (String::new(), String::new()),
            Some(indent) if last => (format!("{indent}└─ "), format!("{indent}   ")),
            Some(indent) => (format!("{indent}├─ "), format!("{indent}│  ")),
        };
        body.push(vec![
            format!("{line}{}", escape(&node.name)),
            if node.count > 1 {
                node.count.to_string()
            } else {
                String::new()
            },
            units::count(node.parameters),
            units::count(node.logical_parameters),
            units::bytes(node.bytes),
            units::percent(node.logical_parameters, whole),
            bar(node.logical_parameters, whole),
        ]);
        push_nodes(body, &node.children, Some(&below), whole);
    }
}

/// Adds the classification rules that matched (the `--explain` table) to `doc`.
pub fn rules_table(doc: &mut Doc, r: &InspectReport) {
    doc.heading("Classification rules that matched");
    let body = r
        .semantics
        .classification
        .iter()
        .map(|row| {
            vec![
                row.rule.id.to_string(),
                row.class.name().to_string(),
                units::grouped(row.tensors),
                units::grouped(row.elements),
                units::grouped(row.logical_parameters),
                escape(&row.example).into_owned(),
            ]
        })
        .collect();
    doc.table(
        &["rule", "class", "tensors", "elements", "counted", "e.g."],
        body,
        &[2, 3, 4],
    );
    for row in &r.semantics.classification {
        doc.line(&format!("{}: {}", row.rule.id, row.rule.description));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_in_eighths() {
        assert_eq!(bar(1, 1), "█".repeat(20));
        assert_eq!(bar(0, 1), "");
        assert_eq!(bar(1, 2), "█".repeat(10));
        // 1/160 of the width is one eighth of a cell.
        assert_eq!(bar(1, 160), "▏");
        assert_eq!(bar(3, 16), "███▊");
        assert_eq!(bar(5, 0), "");
    }
}
