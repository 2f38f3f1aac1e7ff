//! The GGUF parts of `inspect`'s table view: the model summary and metadata values (arrays summarised).

use super::escape;
use super::text::Doc;
use crate::inspect::gguf::GgufReport;
use crate::model::units;
use serde_json::Value;

/// Strings longer than this (chat templates run to kilobytes) are cut in tables unless `--metadata full`.
const TABLE_STRING_CHARS: usize = 120;

/// Adds the GGUF summary (architecture, file type, hyperparameters, tokenizer, claimed against counted parameters) to `doc`.
pub fn summary(doc: &mut Doc, g: &GgufReport, parameters: u64) {
    doc.heading("GGUF");
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            rows.push((k.to_string(), escape(&v).into_owned()));
        }
    };
    push("architecture", g.architecture.clone());
    push("name", g.name.clone());
    push(
        "file type",
        g.file_type.as_ref().map(|f| match f.name {
            Some(n) => format!("{n} ({})", f.id),
            None => format!("{} (unknown to paramscope)", f.id),
        }),
    );
    push("context length", g.context_length.map(units::grouped));
    push("layers", g.block_count.map(units::grouped));
    push("embedding length", g.embedding_length.map(units::grouped));
    push(
        "attention heads",
        g.head_count.map(|h| match g.head_count_kv {
            Some(kv) if kv != h => format!("{h} ({kv} KV)"),
            _ => h.to_string(),
        }),
    );
    push(
        "tokenizer",
        g.tokenizer.as_ref().map(|t| {
            let tokens = t.tokens.map(|n| format!("{} tokens", units::grouped(n)));
            match (&t.model, tokens) {
                (Some(m), Some(n)) => format!("{m}, {n}"),
                (Some(m), None) => m.clone(),
                (None, Some(n)) => n,
                (None, None) => String::new(),
            }
        }),
    );
    push(
        "general.parameter_count",
        g.parameter_count.map(|c| match g.parameter_count_matches {
            Some(true) => format!("{} (matches the count)", units::grouped(c)),
            Some(false) => format!(
                "{} (counted {}, a difference of {})",
                units::grouped(c),
                units::grouped(parameters),
                units::grouped(c.abs_diff(parameters))
            ),
            None => units::grouped(c),
        }),
    );
    push(
        "bits per weight",
        g.bits_per_weight.map(|b| format!("{b:.3}")),
    );
    push("alignment", Some(g.alignment.to_string()));
    push(
        "GGUF version",
        Some(g.version.map_or("parts differ".into(), |v| v.to_string())),
    );
    doc.pairs(rows);
}

/// One metadata value as a table cell: arrays as `[string × 128,256] "a", "b", …`, long strings cut unless full.
pub fn value_cell(v: &Value, full: bool) -> String {
    match v {
        Value::String(s) => cut(s, full),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("array") => {
            let element = o.get("element").and_then(Value::as_str).unwrap_or("?");
            let len = o.get("length").and_then(Value::as_u64).unwrap_or(0);
            let values = o.get("values").and_then(Value::as_array);
            let shown: Vec<String> = values
                .map(|vs| vs.iter().map(|e| element_cell(e, full)).collect())
                .unwrap_or_default();
            let more = if (shown.len() as u64) < len {
                ", …"
            } else {
                ""
            };
            format!(
                "[{element} × {}] {}{more}",
                units::grouped(len),
                shown.join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn element_cell(v: &Value, full: bool) -> String {
    match v {
        Value::String(s) => format!("{:?}", cut(s, full)),
        Value::Object(_) => format!("({})", value_cell(v, full)),
        other => other.to_string(),
    }
}

fn cut(s: &str, full: bool) -> String {
    let chars = s.chars().count();
    if full || chars <= TABLE_STRING_CHARS {
        return s.to_string();
    }
    let head: String = s.chars().take(TABLE_STRING_CHARS).collect();
    format!("{head}… ({} characters)", units::grouped(chars as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_show_type_length_and_first_elements() {
        let v =
            json!({"type": "array", "element": "string", "length": 128256, "values": ["a", "b"]});
        assert_eq!(value_cell(&v, false), "[string × 128,256] \"a\", \"b\", …");
        let v = json!({"type": "array", "element": "u8", "length": 2, "values": [1, 2]});
        assert_eq!(value_cell(&v, false), "[u8 × 2] 1, 2");
        let long = "x".repeat(200);
        assert!(value_cell(&json!(long), false).ends_with("… (200 characters)"));
        assert_eq!(value_cell(&json!(long), true), long);
    }
}
