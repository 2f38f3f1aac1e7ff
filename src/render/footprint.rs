//! The `footprint` report as tables or Markdown: binary (GiB) and decimal (GB) units both labelled.

use super::escape;
use super::text::{Doc, Fit, Style};
use crate::footprint::{self, FootprintReport};
use crate::model::units;

fn both(n: u64) -> String {
    format!("{} ({})", units::bytes(n), units::bytes_decimal(n))
}

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// The report as tables or Markdown; the per-shard table only for a few files.
pub fn render(r: &FootprintReport, style: Style) -> String {
    render_files(r, style, false)
}

/// The report as tables or Markdown; `all_files` lists every shard however many (`--files`).
pub fn render_files(r: &FootprintReport, style: Style, all_files: bool) -> String {
    let mut doc = Doc::new(style);
    doc.heading(&format!(
        "{}  footprint",
        escape(&r.path.display().to_string())
    ));
    let w = &r.weights;
    let mut rows = vec![
        (
            "on disk".to_string(),
            format!(
                "{} in {}",
                both(r.disk.file_bytes),
                files(r.disk.files.len())
            ),
        ),
        ("tensor data".to_string(), both(r.disk.tensor_bytes)),
        (
            "headers and padding".to_string(),
            both(r.disk.overhead_bytes),
        ),
        ("weights as stored".to_string(), both(w.stored_bytes)),
    ];
    for (label, bytes) in [
        ("packed quantized weights", w.quant_packed_bytes),
        ("quantization scales/zeros", w.quant_aux_bytes),
        ("buffers (not parameters)", w.buffer_bytes),
    ] {
        if bytes > 0 {
            rows.push((format!("  of which {label}"), both(bytes)));
        }
    }
    rows.push((
        "logical parameters".into(),
        units::grouped(w.logical_parameters),
    ));
    doc.pairs(rows);
    let shards = r.disk.files.len();
    if shards > 1 && !super::files::full_table(shards, all_files) {
        let sizes: Vec<(u64, u64)> = r
            .disk
            .files
            .iter()
            .map(|f| (f.size_bytes, f.size_bytes - f.tensor_bytes))
            .collect();
        super::files::summary_line(&mut doc, &sizes);
    } else if shards > 1 {
        let body = r
            .disk
            .files
            .iter()
            .map(|f| {
                let name = f.path.file_name().unwrap_or(f.path.as_os_str());
                vec![
                    escape(&name.to_string_lossy()).into_owned(),
                    units::bytes(f.size_bytes),
                    units::bytes(f.tensor_bytes),
                    units::bytes(f.size_bytes - f.tensor_bytes),
                ]
            })
            .collect();
        // The title inspect's table of the same files has.
        doc.heading("Files");
        doc.table_fit(
            &["file", "on disk", "tensor data", "headers and padding"],
            body,
            &[1, 2, 3],
            Fit {
                paths: &[0],
                drop: Some(&[3, 2]),
                ..Fit::default()
            },
        );
    }

    doc.heading("Weights at other precisions");
    let body = r
        .precisions
        .iter()
        .map(|p| {
            vec![
                p.name.to_string(),
                units::bytes(p.bytes),
                units::bytes_decimal(p.bytes),
                units::bytes(p.scale_bytes),
                p.note.to_string(),
            ]
        })
        .collect();
    doc.table_fit(
        // Cells pick their unit (a small model's are MiB): the headers name the base, 1024 or 1000.
        &[
            "precision",
            "binary",
            "decimal",
            "of which scales",
            "scheme",
        ],
        body,
        &[1, 2, 3],
        // The scheme is a note that wraps; the decimal figure and the scales go before it.
        Fit {
            text: &[4],
            drop: Some(&[3, 2, 4]),
            ..Fit::default()
        },
    );

    match (&r.inference, &r.architecture_unknown) {
        (Some(inf), _) => {
            doc.heading(&format!(
                "Inference: {} tokens × batch {}, KV cache in {} ({} bits per element)",
                units::grouped(inf.context),
                inf.batch,
                inf.kv_dtype,
                inf.kv_bits_per_element
            ));
            let a = &inf.attention;
            let mut arch = format!(
                "{} layers × {} KV heads × (K {} + V {}) dims",
                a.layers, a.kv_heads, a.key_dim, a.value_dim
            );
            if let Some(mla) = a.mla_elements {
                arch = format!("{} layers × {mla} latent elements (MLA)", a.layers);
            }
            if a.uncached_layers > 0 {
                arch.push_str(&format!(
                    ", {} of them without a KV cache (linear attention, convolution or Mamba)",
                    a.uncached_layers
                ));
            }
            if a.cross_attention_layers > 0 {
                arch.push_str(&format!(
                    ", {} of them cross-attention (the image's keys and values, once per sequence: not included)",
                    a.cross_attention_layers
                ));
            }
            if let (Some(w), true) = (a.sliding_window, a.sliding_layers > 0) {
                arch.push_str(&format!(
                    ", {} layers with a {w}-token sliding window",
                    a.sliding_layers
                ));
            }
            doc.pairs(vec![
                ("architecture".into(), arch),
                ("from".into(), a.fields_used.join(", ")),
                (
                    "KV cache per token".into(),
                    units::bytes(inf.kv_bytes_per_token),
                ),
                ("weights".into(), both(inf.weights_bytes)),
                ("KV cache".into(), both(inf.kv_cache_bytes)),
                (
                    format!("overhead ({}%)", inf.overhead_percent),
                    both(inf.overhead_bytes),
                ),
                ("total".into(), both(inf.total_bytes)),
            ]);
            let kv_rows = inf
                .kv_by_context
                .iter()
                .map(|(ctx, bytes)| {
                    vec![
                        units::grouped(*ctx),
                        units::bytes(*bytes),
                        units::bytes_decimal(*bytes),
                    ]
                })
                .collect();
            doc.table(&["context", "KV cache", "decimal"], kv_rows, &[0, 1, 2]);
            // The arithmetic holds for any length, but the model was not made for it: a "fits" at 200k tokens
            // beside a longest context of 8,192 would otherwise contradict itself unexplained.
            if let Some(max) = a.max_context.filter(|&m| inf.context > m) {
                doc.line(&format!(
                    "note: {} tokens is beyond the model's maximum context of {} tokens",
                    units::grouped(inf.context),
                    units::grouped(max)
                ));
            }
        }
        (None, Some(why)) => {
            doc.heading("Inference");
            doc.line(&format!(
                "architecture unknown: {} — no KV-cache estimate",
                escape(why)
            ));
        }
        (None, None) => {}
    }
    if let Some(t) = &r.training {
        doc.heading(&format!("Training ({})", t.optimizer));
        doc.pairs(vec![
            ("formula".into(), t.formula.clone()),
            ("total (without activations)".into(), both(t.bytes)),
        ]);
    }
    if let Some(f) = &r.fits {
        fits(&mut doc, r, f);
    }
    doc.finish()
}

/// The `--fits` verdict: the stored precision's line as before, the split assumed on several devices, and a row
/// per precision (fits, longest context, the smallest memory it needs).
fn fits(doc: &mut Doc, r: &FootprintReport, f: &footprint::Fits) {
    let verdict = if f.fits { "fits" } else { "does NOT fit" };
    let (budget, need) = match &f.split {
        Some(s) => (
            format!(
                "{} ({} devices, {} in all)",
                escape(&f.budget),
                s.devices,
                units::bytes(f.budget_bytes)
            ),
            format!("{} per device", units::bytes(f.needed_per_device_bytes)),
        ),
        None => (
            format!("{} ({})", escape(&f.budget), units::bytes(f.budget_bytes)),
            units::bytes(f.needed_bytes),
        ),
    };
    let mut line = format!("{verdict} in {budget}: needs {need}");
    match (f.max_context, f.context_limit) {
        // The weights may fit while a single token of KV cache at this batch does not.
        (Some(0), _) => match &r.inference {
            Some(inf)
                if footprint::with_overhead(inf.weights_bytes, inf.overhead_percent)
                    <= f.budget_bytes
                    && f.split.is_none() =>
            {
                line.push_str(&format!(
                    "; the weights fit, but not one token of KV cache at batch {}",
                    inf.batch
                ))
            }
            _ => line.push_str("; not even without a KV cache"),
        },
        (Some(ctx), Some(limit)) if ctx == limit => line.push_str(&format!(
            "; longest context that fits: {} tokens, the model's maximum",
            units::grouped(ctx)
        )),
        (Some(ctx), _) => line.push_str(&format!(
            "; longest context that fits: {} tokens",
            units::grouped(ctx)
        )),
        (None, _) => line.push_str(" (weights only: architecture unknown, no KV cache)"),
    }
    if !f.fits {
        let fitting: Vec<&str> = f
            .precisions
            .iter()
            .filter(|p| p.fits)
            .map(|p| p.name.as_str())
            .collect();
        if fitting.is_empty() {
            line.push_str("; no precision below fits either");
        } else {
            line.push_str(&format!("; fits at {}", fitting.join(", ")));
        }
    }
    doc.line("");
    doc.line(&line);
    if let Some(s) = &f.split {
        doc.line(&format!("split assumed: {}", s.description));
    }
    let context = r
        .inference
        .as_ref()
        .map_or("weights only".to_string(), |i| {
            format!("{} tokens", units::grouped(i.context))
        });
    doc.heading(&format!("Fits in {} by precision", escape(&f.budget)));
    let per_device = if f.split.is_some() {
        "needs per device"
    } else {
        "needs"
    };
    let need_header = format!("{per_device} at {context}");
    let body = f
        .precisions
        .iter()
        .map(|p| {
            let longest = match (p.max_context, f.context_limit) {
                (None, _) => "-".to_string(),
                (Some(0), _) => "none".to_string(),
                (Some(c), Some(limit)) if c == limit => {
                    format!("{} (the maximum)", units::grouped(c))
                }
                (Some(c), _) => units::grouped(c),
            };
            vec![
                p.name.clone(),
                units::bytes(p.weights_bytes),
                units::bytes(p.needed_per_device_bytes),
                if p.fits { "yes" } else { "no" }.to_string(),
                longest,
            ]
        })
        .collect();
    doc.table(
        &[
            "precision",
            "weights",
            &need_header,
            "fits",
            "longest context",
        ],
        body,
        &[1, 2, 4],
    );
}
