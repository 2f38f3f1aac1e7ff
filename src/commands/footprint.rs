use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use paramscope::arch;
use paramscope::checkpoint::{Checkpoint, Format};
use paramscope::cli::FootprintArgs;
use paramscope::footprint::{self, FootprintOptions, Kind, Sized};
use paramscope::format::LoadOptions;
use paramscope::metadata::MetadataDetail;
use paramscope::render::{self, OutputFormat};
use std::process::ExitCode;

pub fn run(args: FootprintArgs) -> ExitCode {
    let mut load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let format = args.output.format;
    let Some(mut checkpoint) = load_one(&args.path, load_options, format) else {
        return ExitCode::from(EXIT_INPUT);
    };
    // A GGUF per-layer sliding-window pattern is as long as the model is deep, longer than the summary keeps:
    // read the header again, whole, only then (the token list makes a full read costlier).
    if arch::gguf_needs_full_metadata(&checkpoint.metadata) {
        load_options.metadata = MetadataDetail::Full;
        let Some(full) = load_one(&args.path, load_options, format) else {
            return ExitCode::from(EXIT_INPUT);
        };
        checkpoint = full;
    }
    let options = FootprintOptions {
        context: args.context,
        batch: args.batch,
        kv_bits: args.kv_dtype.bits(),
        group_size: args.group_size,
        overhead_percent: args.overhead,
        training: args.training.is_some(),
        fits: args.fits,
    };
    // A GGUF file carries its own hyperparameters; a config.json beside it is not consulted.
    let attention = if checkpoint.format == Format::Gguf {
        arch::from_gguf(&checkpoint.metadata)
    } else {
        config_json(&checkpoint).and_then(|config| arch::from_hf_config(&config))
    };
    let report = footprint::footprint(&checkpoint, &sized(&checkpoint), attention, &options);
    let out = match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::footprint::render(&report, style_for(f)),
    };
    print_out(&out);
    match report.fits {
        Some(f) if !f.fits => ExitCode::from(EXIT_CHECK_FAILED),
        _ => ExitCode::SUCCESS,
    }
}

fn sized(c: &Checkpoint) -> Vec<Sized> {
    c.tensors
        .iter()
        .map(|t| Sized {
            kind: Kind::Weight,
            logical_elements: t.elements(),
            dims: t.shape.len(),
            rows: t.shape.first().copied().unwrap_or(1),
            stored_bytes: t.bytes(),
        })
        .collect()
}

/// The `config.json` beside the checkpoint, if any.
fn config_json(c: &Checkpoint) -> Result<serde_json::Value, String> {
    let folder = if c.path.is_dir() {
        c.path.clone()
    } else {
        c.path.parent().map(|p| p.to_path_buf()).unwrap_or_default()
    };
    let path = folder.join("config.json");
    let text = std::fs::read(&path)
        .map_err(|_| format!("no config.json beside the checkpoint ({})", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: not valid JSON: {e}", path.display()))
}
