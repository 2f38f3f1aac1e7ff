use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use crate::args::DiffArgs;
use paramscope::diff::{self, values::Tolerance, DiffOptions};
use paramscope::format::error::LoadError;
use paramscope::format::LoadOptions;
use paramscope::render::{self, OutputFormat};
use std::process::ExitCode;

pub fn run(args: DiffArgs) -> ExitCode {
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let format = args.output.format;
    let a = load_one(&args.a, load_options, format);
    let b = load_one(&args.b, load_options, format);
    let (Some(a), Some(b)) = (a, b) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let options = DiffOptions {
        group_by: args.group_by,
        renames: args.renames,
        identical: args.identical,
        values: args.values.then_some(Tolerance {
            atol: args.atol,
            rtol: args.rtol,
        }),
    };
    let report = match diff::diff(&a, &b, &options) {
        Ok(report) => report,
        Err(e) => {
            super::print_load_error(&LoadError::from(e), format);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let out = match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::diff::render(&report, style_for(f), args.limit),
    };
    print_out(&out);
    if report.differs() {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
