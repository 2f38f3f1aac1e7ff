use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use crate::args::FootprintArgs;
use paramscope::footprint::{self, FootprintOptions};
use paramscope::format::error::LoadError;
use paramscope::format::LoadOptions;
use paramscope::render::{self, OutputFormat};
use std::process::ExitCode;

pub fn run(args: FootprintArgs) -> ExitCode {
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let format = args.output.format;
    let Some(checkpoint) = load_one(&args.path, load_options, format) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let options = FootprintOptions {
        context: args.context,
        batch: args.batch,
        kv_dtype: args.kv_dtype.into(),
        group_size: args.group_size,
        overhead_percent: args.overhead,
        training: args.training.map(Into::into),
        fits: args.fits,
    };
    let report = match footprint::footprint(&checkpoint, &options) {
        Ok(report) => report,
        Err(e) => {
            super::print_load_error(&LoadError::from(e), format);
            return ExitCode::from(EXIT_INPUT);
        }
    };
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
