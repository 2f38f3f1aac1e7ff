use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use crate::args::FootprintArgs;
use paramscope::footprint::{self, FootprintOptions};
use paramscope::format::LoadOptions;
use paramscope::interpret::arch;
use paramscope::interpret::{classify, hf_config};
use paramscope::model::checkpoint::Format;
use paramscope::model::metadata::MetadataDetail;
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
    // A GGUF file carries its own hyperparameters; for safetensors, classification and the KV-cache figures both
    // come from the config.json beside the checkpoint.
    let config = hf_config::for_checkpoint(&checkpoint);
    let attention = match (&config, checkpoint.format) {
        (_, Format::Gguf) => arch::from_gguf(&checkpoint.metadata),
        (Some(Ok(c)), _) => arch::from_hf_config(&c.raw),
        (Some(Err(why)), _) => Err(why.clone()),
        (None, _) => Err(format!(
            "no config.json beside the checkpoint ({})",
            checkpoint.path.display()
        )),
    };
    let model_config = config.and_then(Result::ok);
    let classified = classify::classify(&checkpoint.tensors, model_config.as_ref());
    let sizes = footprint::sizes(&checkpoint, &classified);
    let report = footprint::footprint(&checkpoint, &sizes, attention, &options);
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
